"""Staff accounts: signing in with email and password to a session that expires, signing out,
deactivating and resetting (which end sessions at once), failed sign-ins limited, and tokens the
admin issues with an expiry, lists and revokes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.clock import ManualClock
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_staff(client, admin, *, email="noor@example.com", name="Noor Haddad", role="editor"):
    made = client.post(
        "/api/staff",
        json={"email": email, "name": name, "role": role, "password": PASSWORD},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    return made.json()


def sign_in(client, email="noor@example.com", password=PASSWORD):
    return client.post("/api/auth/sign-in", json={"email": email, "password": password})


def test_an_editor_signs_in_with_email_and_password_and_works_as_themselves(client, admin) -> None:
    account = add_staff(client, admin)
    assert account["password"] is None  # given, so not echoed
    assert account["active"] is True

    session = sign_in(client, email="Noor@Example.COM")  # any case
    assert session.status_code == 200, session.text
    body = session.json()
    assert body["roles"] == ["editor"] and body["name"] == "Noor Haddad"
    assert body["expires_at"] == "2026-01-05T21:00:00.000+00:00"  # 12 hours from the clock
    me = client.get("/api/me", headers=bearer(body["token"])).json()
    assert me == {"roles": ["editor"], "subject": "Noor Haddad"}

    created = client.post(
        "/api/kb/articles",
        json={"id": "fees", "title": "Fees", "body": "No monthly fee.", "questions": []},
        headers=bearer(body["token"]),
    )
    assert created.status_code == 201, created.text
    history = client.get("/api/kb/articles/fees/versions", headers=admin).json()
    assert history[0]["author"] == "Noor Haddad"
    assert client.get("/api/metrics", headers=bearer(body["token"])).status_code == 403


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client, admin) -> None:
    add_staff(client, admin)
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, email="nobody@example.com")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong email or password"}


def test_a_session_expires_with_the_clock(client, admin, clock: ManualClock) -> None:
    add_staff(client, admin)
    token = sign_in(client).json()["token"]

    clock.advance(hours=11, minutes=59)
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    clock.advance(minutes=1)
    expired = client.get("/api/me", headers=bearer(token))
    assert expired.status_code == 401
    assert client.get("/api/kb/articles?status=draft", headers=bearer(token)).status_code == 401
    # Signing in again gives a new session.
    assert client.get("/api/me", headers=bearer(sign_in(client).json()["token"])).status_code == 200


def test_signing_out_ends_the_session_but_not_an_api_token(client, admin) -> None:
    add_staff(client, admin)
    session = sign_in(client).json()["token"]
    api_token = client.post(
        "/api/tokens", json={"role": "editor", "subject": "Build script"}, headers=admin
    ).json()["token"]

    assert client.post("/api/auth/sign-out", headers=bearer(session)).status_code == 204
    assert client.get("/api/me", headers=bearer(session)).status_code == 401
    assert client.post("/api/auth/sign-out", headers=bearer(session)).status_code == 401

    assert client.post("/api/auth/sign-out", headers=bearer(api_token)).status_code == 204
    assert client.get("/api/me", headers=bearer(api_token)).status_code == 200


def test_deactivating_ends_every_session_at_once_and_sign_in_is_refused(client, admin) -> None:
    account = add_staff(client, admin)
    first, second = (sign_in(client).json()["token"] for _ in range(2))
    issued = client.post(
        f"/api/staff/{account['id']}/tokens", json={"expires_in_days": 30}, headers=admin
    ).json()
    assert client.get("/api/me", headers=bearer(issued["token"])).status_code == 200

    off = client.patch(f"/api/staff/{account['id']}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    for token in (first, second, issued["token"]):
        assert client.get("/api/me", headers=bearer(token)).status_code == 401
    refused = sign_in(client)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "wrong email or password"}

    on = client.patch(f"/api/staff/{account['id']}", json={"active": True}, headers=admin)
    assert on.json()["active"] is True
    assert sign_in(client).status_code == 200
    assert client.get("/api/me", headers=bearer(first)).status_code == 401  # none comes back


def test_a_password_reset_ends_sessions_and_the_old_password(client, admin) -> None:
    account = add_staff(client, admin)
    old_session = sign_in(client).json()["token"]

    reset = client.post(f"/api/staff/{account['id']}/password", json={}, headers=admin)
    assert reset.status_code == 200, reset.text
    new_password = reset.json()["password"]
    assert len(new_password) >= 12

    assert client.get("/api/me", headers=bearer(old_session)).status_code == 401
    assert sign_in(client).status_code == 401
    assert sign_in(client, password=new_password).status_code == 200


def test_the_admin_lists_and_removes_accounts(client, admin) -> None:
    account = add_staff(client, admin)
    made_up = client.post(
        "/api/staff",
        json={"email": "sam@example.com", "name": "Sam Ortiz", "role": "ops"},
        headers=admin,
    ).json()
    assert sign_in(client, "sam@example.com", made_up["password"]).status_code == 200
    taken = client.post(
        "/api/staff",
        json={"email": "NOOR@example.com", "name": "Other", "role": "ops"},
        headers=admin,
    )
    assert taken.status_code == 409
    assert [a["email"] for a in client.get("/api/staff", headers=admin).json()] == [
        "noor@example.com",
        "sam@example.com",
    ]
    session = sign_in(client).json()["token"]
    assert client.get("/api/staff", headers=bearer(session)).status_code == 403

    assert client.delete(f"/api/staff/{account['id']}", headers=admin).status_code == 204
    assert client.get("/api/me", headers=bearer(session)).status_code == 401
    assert sign_in(client).status_code == 401
    assert client.delete(f"/api/staff/{account['id']}", headers=admin).status_code == 404
    assert [a["email"] for a in client.get("/api/staff", headers=admin).json()] == [
        "sam@example.com"
    ]


def test_an_admin_account_holds_every_role_as_the_admin_token_does(client, admin) -> None:
    add_staff(client, admin, email="ada@example.com", name="Ada", role="admin")
    token = sign_in(client, "ada@example.com").json()["token"]
    me = client.get("/api/me", headers=bearer(token)).json()
    assert me == {"roles": ["admin", "agent", "editor", "ops", "supervisor"], "subject": None}
    assert client.get("/api/staff", headers=bearer(token)).status_code == 200


def test_admin_tokens_expire_when_told_and_can_be_listed_and_revoked(
    client, admin, clock: ManualClock
) -> None:
    made = client.post(
        "/api/tokens",
        json={"role": "ops", "subject": "Wallboard", "expires_in_days": 2},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    wallboard = made.json()
    assert wallboard["expires_at"] == "2026-01-07T09:00:00.000+00:00"
    forever = client.post(
        "/api/tokens", json={"role": "editor", "subject": "Importer"}, headers=admin
    ).json()
    assert forever["expires_at"] is None

    listed = client.get("/api/tokens", headers=admin).json()
    assert {t["id"] for t in listed} == {wallboard["id"], forever["id"]}
    assert all("token" not in t for t in listed)  # never the secret

    clock.advance(days=2)
    assert client.get("/api/metrics", headers=bearer(wallboard["token"])).status_code == 401
    assert [t["id"] for t in client.get("/api/tokens", headers=admin).json()] == [forever["id"]]

    assert client.delete(f"/api/tokens/{forever['id']}", headers=admin).status_code == 204
    assert client.get("/api/me", headers=bearer(forever["token"])).status_code == 401
    assert client.delete(f"/api/tokens/{forever['id']}", headers=admin).status_code == 404
    assert client.get("/api/tokens", headers=admin).json() == []


def limited_app(tmp_path, admin, **limits):
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=admin["Authorization"].removeprefix("Bearer "),
        rasa_url="",
        **limits,
    )
    return create_app(settings, embedder=HashingEmbedder(), bot=ScriptedBot(), clock=ManualClock())


def test_failed_sign_ins_are_limited_per_email_with_retry_after(tmp_path, admin) -> None:
    app = limited_app(tmp_path, admin, sign_in_limit="3 per 15 minutes")
    with TestClient(app) as client:
        add_staff(client, admin)
        for _ in range(3):
            assert sign_in(client, password="guess guess guess").status_code == 401
        limited = sign_in(client)  # even the right password waits now, from there
        assert limited.status_code == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
        # Another address is not held up by this one's failures.
        add_staff(client, admin, email="sam@example.com", name="Sam", role="ops")
        assert sign_in(client, "sam@example.com").status_code == 200
        # Nor is the account's owner, signing in from their own desk: whoever guessed from
        # elsewhere cannot lock them out. (The app is running: this client only calls it.)
        desk = TestClient(app, client=("10.0.0.7", 50000))
        assert sign_in(desk).status_code == 200


def test_a_guess_spread_over_many_addresses_is_limited_for_the_account(tmp_path, admin) -> None:
    app = limited_app(
        tmp_path, admin, sign_in_limit="3 per 15 minutes", sign_in_email_limit="5 per 15 minutes"
    )
    with TestClient(app) as client:
        add_staff(client, admin)
        for n in range(5):  # the app is running: these clients only call it, from elsewhere
            guesser = TestClient(app, client=(f"203.0.113.{n}", 50000))
            assert sign_in(guesser, password="guess guess guess").status_code == 401
        desk = TestClient(app, client=("10.0.0.7", 50000))
        assert sign_in(desk).status_code == 429


def sign_in_from(client, browser, email="noor@example.com", password=PASSWORD):
    return client.post(
        "/api/auth/sign-in", json={"email": email, "password": password, "browser": browser}
    )


def test_a_browser_that_signed_in_before_is_not_locked_out_by_guesses_from_elsewhere(
    tmp_path, admin
) -> None:
    app = limited_app(
        tmp_path,
        admin,
        sign_in_limit="3 per 15 minutes",
        sign_in_email_limit="5 per 15 minutes",
        sign_in_client_limit="4 per 15 minutes",
    )
    with TestClient(app) as client:
        add_staff(client, admin)
        add_staff(client, admin, email="sam@example.com", name="Sam Ortiz", role="ops")
        desk = TestClient(app, client=("10.0.0.7", 50000))
        first = sign_in(desk)
        assert first.status_code == 200, first.text
        known = first.json()["browser"]
        sams = sign_in(desk, "sam@example.com").json()["browser"]
        # Someone guesses Noor's password from many addresses, and from the office's own
        # address too (behind the same router): the account and the address are held up.
        for n in range(5):
            guesser = TestClient(app, client=(f"203.0.113.{n}", 50000))
            assert sign_in(guesser, password="guess guess guess").status_code == 401
        for _ in range(2):
            assert sign_in(desk, password="guess guess guess").status_code == 429
        assert sign_in(desk).status_code == 429  # a browser she never used: held up too
        assert sign_in_from(desk, "made-up").status_code == 429  # a token nobody was given
        assert sign_in_from(desk, sams).status_code == 429  # a colleague's browser is not hers

        # Noor's own browser signs in, and gets a new token for the next time.
        again = sign_in_from(desk, known)
        assert again.status_code == 200, again.text
        renewed = again.json()["browser"]
        assert renewed != known
        assert sign_in_from(desk, known).status_code == 429  # the old one served its turn
        # Its own failures are still limited, on their own.
        for _ in range(3):
            assert sign_in_from(desk, renewed, password="typo typo typo").status_code == 401
        assert sign_in_from(desk, renewed).status_code == 429


def test_a_password_reset_makes_every_browser_a_stranger_again(tmp_path, admin) -> None:
    app = limited_app(tmp_path, admin, sign_in_email_limit="2 per 15 minutes")
    with TestClient(app) as client:
        noor = add_staff(client, admin)
        known = sign_in(client).json()["browser"]
        for n in range(2):
            guesser = TestClient(app, client=(f"203.0.113.{n}", 50000))
            assert sign_in(guesser, password="guess guess guess").status_code == 401
        assert sign_in(client).status_code == 429
        reset = client.post(f"/api/staff/{noor['id']}/password", json={}, headers=admin)
        assert reset.status_code == 200, reset.text
        fresh = reset.json()["password"]
        assert sign_in_from(client, known, password=fresh).status_code == 429
        assert sign_in_from(client, "x" * 101).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-address", "name": "X", "role": "editor"},
        {"email": "x@example.com", "name": "X", "role": "editor", "password": "short"},
        {"email": "x@example.com", "name": "X", "role": "customer"},
        {"email": "x@example.com", "name": "X", "role": "agent"},  # made with the agent
    ],
)
def test_an_account_is_refused_when_it_cannot_sign_in_as_asked(client, admin, body) -> None:
    assert client.post("/api/staff", json=body, headers=admin).status_code == 422
