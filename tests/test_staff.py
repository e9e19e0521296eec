"""Editors and ops get tokens of their own role, and each page's API refuses the others."""

from __future__ import annotations


def test_staff_tokens_hold_only_their_role(client, admin) -> None:
    editor = client.post(
        "/api/tokens", json={"subject": "Noor Haddad", "role": "editor"}, headers=admin
    )
    assert editor.status_code == 201, editor.text
    ops = client.post("/api/tokens", json={"subject": "Sam Ortiz", "role": "ops"}, headers=admin)
    as_editor = {"Authorization": f"Bearer {editor.json()['token']}"}
    as_ops = {"Authorization": f"Bearer {ops.json()['token']}"}

    assert client.get("/api/me", headers=as_editor).json() == {
        "roles": ["editor"],
        "subject": "Noor Haddad",
    }
    assert client.get("/api/me", headers=as_ops).json()["roles"] == ["ops"]
    assert client.get("/api/metrics", headers=as_ops).status_code == 200
    assert client.get("/api/metrics", headers=as_editor).status_code == 403

    created = client.post(
        "/api/kb/articles",
        json={"id": "fees", "title": "Fees", "body": "No monthly fee.", "questions": []},
        headers=as_editor,
    )
    assert created.status_code == 201, created.text
    assert (
        client.post(
            "/api/kb/articles",
            json={"id": "fees2", "title": "Fees", "body": "No monthly fee.", "questions": []},
            headers=as_ops,
        ).status_code
        == 403
    )
    history = client.get("/api/kb/articles/fees/versions", headers=as_editor).json()
    assert history[0]["author"] == "Noor Haddad"


def test_only_an_admin_issues_staff_tokens(client, admin) -> None:
    ops = client.post("/api/tokens", json={"subject": "Sam", "role": "ops"}, headers=admin).json()
    as_ops = {"Authorization": f"Bearer {ops['token']}"}
    refused = client.post("/api/tokens", json={"subject": "Eve", "role": "editor"}, headers=as_ops)
    assert refused.status_code == 403
    assert client.post("/api/tokens", json={"subject": "Eve", "role": "editor"}).status_code == 401
    # A customer's token is the conversation's; an agent's comes with the agent.
    for role in ("customer", "agent"):
        bad = client.post("/api/tokens", json={"subject": "Eve", "role": role}, headers=admin)
        assert bad.status_code == 422
    assert (
        client.post("/api/tokens", json={"subject": " ", "role": "ops"}, headers=admin).status_code
        == 422
    )


def test_an_editor_reads_which_skills_agents_hold(client, admin) -> None:
    """For an article's skill: what agents hold and how many do; a customer may
    not list them."""
    from tests.factories import make_agent

    make_agent(client, admin, "Priya", {"cards": 3}, online=False)
    make_agent(client, admin, "Tom", {"cards": 1, "loans": 2}, online=False)
    editor = client.post("/api/tokens", json={"subject": "Noor", "role": "editor"}, headers=admin)
    as_editor = {"Authorization": f"Bearer {editor.json()['token']}"}
    listed = client.get("/api/agents/skills", headers=as_editor)
    assert listed.status_code == 200, listed.text
    assert listed.json() == [{"skill": "cards", "agents": 2}, {"skill": "loans", "agents": 1}]
    customer = client.post("/api/conversations", json={}).json()["token"]
    refused = client.get("/api/agents/skills", headers={"Authorization": f"Bearer {customer}"})
    assert refused.status_code == 403
