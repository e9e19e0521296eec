"""`cascade staff`: add, reset, deactivate, activate, list and token, on a data directory, as
whoever runs the server would; what they do is checked by signing in against the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cascade.cli import app
from cascade.storage import open_storage
from core.accounts import BadCredentials, StaffAccounts
from core.auth import TokenStore
from core.clock import SystemClock

runner = CliRunner()


def cascade(data_dir: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == code, result.output
    return result.output


def accounts(data_dir: Path) -> StaffAccounts:
    storage = open_storage(data_dir / "cascade.db")
    tokens = TokenStore(storage, admin_token=None)
    return StaffAccounts(storage=storage, tokens=tokens, clock=SystemClock())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_add_prints_a_made_up_password_that_signs_in(data_dir: Path) -> None:
    out = cascade(
        data_dir,
        "staff",
        "add",
        "--email",
        "Noor@Example.com",
        "--name",
        "Noor Haddad",
        "--role",
        "editor",
    )
    email, role, word, password = out.split()
    assert (email, role, word) == ("noor@example.com", "editor", "password")
    session = accounts(data_dir).sign_in("noor@example.com", password, client="cli-test")
    assert session.account.name == "Noor Haddad"

    taken = cascade(
        data_dir,
        "staff",
        "add",
        "--email",
        "noor@example.com",
        "--name",
        "Other",
        "--role",
        "ops",
        code=1,
    )
    assert "already has an account" in taken


def test_reset_deactivate_and_activate(data_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text("my own long password\n")
    out = cascade(
        data_dir,
        "staff",
        "add",
        "--email",
        "sam@example.com",
        "--name",
        "Sam Ortiz",
        "--role",
        "ops",
        "--password-file",
        str(secret),
    )
    assert "account made" in out and "my own long password" not in out
    staff = accounts(data_dir)
    session = staff.sign_in("sam@example.com", "my own long password", client="cli-test")

    new_password = cascade(data_dir, "staff", "reset", "--email", "sam@example.com").split()[3]
    assert staff.tokens.resolve(session.token) is None  # its sessions ended
    with pytest.raises(BadCredentials):
        staff.sign_in("sam@example.com", "my own long password", client="cli-test")
    session = staff.sign_in("sam@example.com", new_password, client="cli-test")

    assert "deactivated" in cascade(data_dir, "staff", "deactivate", "--email", "sam@example.com")
    assert staff.tokens.resolve(session.token) is None
    with pytest.raises(BadCredentials):
        staff.sign_in("sam@example.com", new_password, client="cli-test")
    listed = cascade(data_dir, "staff", "list")
    assert "sam@example.com" in listed and " no " in listed

    cascade(data_dir, "staff", "activate", "--email", "sam@example.com")
    assert staff.sign_in("sam@example.com", new_password, client="cli-test")
    assert "no staff account" in cascade(
        data_dir, "staff", "reset", "--email", "nobody@example.com", code=1
    )


def test_an_agents_account_and_a_token_that_expires(data_dir: Path, tmp_path: Path) -> None:
    roster = tmp_path / "agents.json"
    roster.write_text(json.dumps([{"name": "Priya Raman", "skills": {"cards": 5}}]))
    agent_id = cascade(data_dir, "agents", "seed", str(roster)).split()[3]
    out = cascade(
        data_dir,
        "staff",
        "add",
        "--email",
        "priya@example.com",
        "--name",
        "Priya Raman",
        "--role",
        "agent",
    )
    staff = accounts(data_dir)
    assert staff.find("priya@example.com").agent_id == agent_id
    session = staff.sign_in("priya@example.com", out.split()[-1], client="cli-test")
    who = staff.tokens.resolve(session.token)
    assert who is not None and who.subject == agent_id

    nobody = cascade(
        data_dir,
        "staff",
        "add",
        "--email",
        "x@example.com",
        "--name",
        "Nobody",
        "--role",
        "agent",
        code=1,
    )
    assert "no agent named 'Nobody'" in nobody

    issued = cascade(
        data_dir, "staff", "token", "--email", "priya@example.com", "--expires-in-days", "2"
    )
    assert "expires" in issued
    token = issued.split()[-1]
    rows = staff.tokens.in_force()
    mine = next(t for t in rows if t.id == staff.tokens.id_of(token))
    assert mine.subject == agent_id and mine.expires_at is not None and not mine.session


def test_canned_responses_seeded_in_two_languages_and_kept_on_a_second_seed(
    data_dir: Path, tmp_path: Path
) -> None:
    seed = tmp_path / "canned.json"
    seed.write_text(
        json.dumps(
            [{"shortcut": "hello", "text": "Hi {customer_name}!", "texts": {"ja": "こんにちは"}}]
        ),
        encoding="utf-8",
    )
    assert cascade(data_dir, "canned", "seed", str(seed)) == "/hello\n"
    seed.write_text(json.dumps([{"shortcut": "hello", "text": "Changed"}]), encoding="utf-8")
    assert cascade(data_dir, "canned", "seed", str(seed)) == "/hello (exists, kept)\n"
    listed = cascade(data_dir, "canned", "list").splitlines()
    assert [line.split(maxsplit=1) for line in listed] == [
        ["/hello", "Hi {customer_name}!"],
        ["ja", "こんにちは"],
    ]
