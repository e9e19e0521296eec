"""Names agents and customers are shown (core/contact.py): no control characters, and none of
the text-direction characters that show one name as another (after U+202E, "nimda" reads
"admin") and turn the text after it around."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cascade.cli import app as cli
from core.contact import customer_name
from tests.factories import ScriptedBot

RLO = "\u202e"  # right-to-left override
LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate, its end


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Ana Lee", "Ana Lee"),
        ("山田 花子", "山田 花子"),
        ("山田\u3000花子", "山田\u3000花子"),  # a full-width space is a space as typed
        ("محمد علي", "محمد علي"),  # a right-to-left name needs no direction characters
        (f"Ana{RLO}nimda", "Ana nimda"),
        ("Ana\nLee", "Ana Lee"),  # a line break would break the console's row
        (f"{LRI}Ana{PDI}\t\x00", "Ana"),
        (f"{RLO}\r\n", None),  # nothing left: no name
        ("\x85Ana\x9b", "Ana"),  # C1 controls too
        ("Ana\u2028Lee", "Ana Lee"),  # a line separator is a line break
        (None, None),
    ],
)
def test_a_customers_name_loses_what_would_disguise_it(given: str | None, shown: str | None):
    assert customer_name(given) == shown


def test_the_agent_sees_the_customers_name_without_direction_tricks(
    client, admin, bot: ScriptedBot
) -> None:
    started = client.post(
        "/api/conversations", json={"customer": {"name": f"Ana{RLO}nimda\nsupport"}}
    )
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    view = client.get(f"/api/conversations/{cid}", headers=admin).json()
    assert view["customer"]["name"] == "Ana nimda support"


@pytest.mark.parametrize("name", [f"Priya{RLO}tnega", "Priya\nRaman", "Priya\x00"])
def test_an_agents_or_staff_name_with_hidden_characters_is_refused(client, admin, name) -> None:
    made = client.post("/api/agents", json={"name": name}, headers=admin)
    assert made.status_code == 422
    assert "control or text-direction characters" in made.text
    assert client.get("/api/agents", headers=admin).json() == []  # nothing was made

    agent = client.post("/api/agents", json={"name": "Priya Raman"}, headers=admin).json()
    renamed = client.patch(f"/api/agents/{agent['id']}", json={"name": name}, headers=admin)
    assert renamed.status_code == 422
    assert client.get("/api/agents", headers=admin).json()[0]["name"] == "Priya Raman"

    staff = {"email": "noor@example.com", "name": name, "role": "editor"}
    refused = client.post(
        "/api/staff", json={**staff, "password": "correct horse battery"}, headers=admin
    )
    assert refused.status_code == 422
    assert "control or text-direction characters" in refused.text
    token = {"role": "ops", "subject": name, "expires_in_days": 30}
    assert client.post("/api/tokens", json=token, headers=admin).status_code == 422


def test_the_command_line_refuses_such_a_name_too(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    made = CliRunner().invoke(
        cli,
        ["staff", "add", "--email", "noor@example.com", "--name", f"Noor{RLO}rotide", "--role", "editor",
         "--data-dir", str(tmp_path)],
    )  # fmt: skip
    assert made.exit_code == 1
    assert "control or text-direction characters (U+202E)" in made.output


def test_names_stored_before_the_rule_are_cleaned_when_the_database_is_upgraded(
    tmp_path, client, settings
) -> None:
    from cascade.storage import open_storage

    kept = client.post("/api/conversations", json={"customer": {"name": "Ana Lee"}}).json()
    old = client.post("/api/conversations", json={"customer": {"name": "Sam"}}).json()
    storage = open_storage(settings.database_path, url=settings.database_url)
    with storage.write() as db:  # as the code before the rule stored it
        db.execute(
            "update conversations set customer_name = ? where id = ?", [f"Ana{RLO}nimda", old["id"]]
        )
        db.execute(
            "delete from _sqlite_migrations where migration_set = 'conversations'"
            " and name = 'm009_customer_names_shown_clean'"
        )
    storage.close()

    upgraded = open_storage(settings.database_path, url=settings.database_url)
    names = dict(upgraded.db.execute("select id, customer_name from conversations").fetchall())
    upgraded.close()
    assert names == {kept["id"]: "Ana Lee", old["id"]: "Ana nimda"}


def test_staff_names_stored_before_the_rule_are_cleaned_when_the_database_is_upgraded(
    tmp_path, client, admin, settings
) -> None:
    from cascade.storage import open_storage

    agent = client.post("/api/agents", json={"name": "Priya Raman"}, headers=admin).json()
    blank = client.post("/api/agents", json={"name": "Sam"}, headers=admin).json()
    staff = {"email": "noor@example.com", "name": "Noor", "role": "editor"}
    made = client.post(
        "/api/staff", json={**staff, "password": "correct horse battery"}, headers=admin
    )
    assert made.status_code == 201, made.text
    token = {"role": "ops", "subject": "Dana", "expires_in_days": 30}
    assert client.post("/api/tokens", json=token, headers=admin).status_code == 201
    storage = open_storage(settings.database_path, url=settings.database_url)
    with storage.write() as db:  # as the code before the rule stored them
        db.execute("update agents set name = ? where id = ?", [f"Priya{RLO}tnega", agent["id"]])
        db.execute("update agents set name = ? where id = ?", [f"{RLO}\n", blank["id"]])
        db.execute("update staff_accounts set name = ?", [f"Noor{RLO}rotide"])
        db.execute("update tokens set subject = ? where subject = 'Dana'", [f"Dana{LRI}x{PDI}"])
        db.execute(
            "delete from _sqlite_migrations where (migration_set, name) in"
            " (('handoff', 'm009_agent_names_shown_clean'),"
            " ('core', 'm005_staff_names_shown_clean'))"
        )
    storage.close()

    upgraded = open_storage(settings.database_path, url=settings.database_url)
    agents = dict(upgraded.db.execute("select id, name from agents").fetchall())
    accounts = [row[0] for row in upgraded.db.execute("select name from staff_accounts")]
    subjects = [
        row[0] for row in upgraded.db.execute("select subject from tokens where role = 'ops'")
    ]
    upgraded.close()
    assert agents == {agent["id"]: "Priya tnega", blank["id"]: blank["id"]}
    assert accounts == ["Noor rotide"]
    assert subjects == ["Dana x"]
