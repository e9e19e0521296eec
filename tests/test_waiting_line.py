"""The line of chats waiting for a person, as a supervisor reads it (`GET /api/queue`): queue
order, how long each has waited, its place, who has it on offer and who passed it on."""

from __future__ import annotations

from tests.factories import make_agent, waiting_chat


def token(client, admin, role: str) -> dict[str, str]:
    issued = client.post("/api/tokens", json={"role": role, "subject": "Sam"}, headers=admin)
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def test_a_supervisor_reads_who_waits_how_long_and_with_whom(client, bot, admin, clock) -> None:
    lead = token(client, admin, "supervisor")
    assert client.get("/api/queue", headers=lead).json() == []
    priya = make_agent(client, admin, "Priya Raman", {"cards": 3}, max_concurrent=1)
    make_agent(client, admin, "Tom Whitfield", {"payments": 4}, max_concurrent=1)
    ana, _ = waiting_chat(client, bot, name="Ana")
    clock.advance(seconds=20)
    ben, _ = waiting_chat(client, bot, name="Ben")
    clock.advance(seconds=25)

    line = client.get("/api/queue", headers=lead).json()
    assert [(c["customer_name"], c["position"], c["waited_s"]) for c in line] == [
        ("Ana", 1, 45),
        ("Ben", 2, 25),
    ]
    assert line[0]["offered_to"] == {"id": priya["id"], "name": "Priya Raman"}
    assert line[0]["estimated_wait_s"] == 0  # on offer now
    assert line[1]["offered_to"] is None and line[1]["estimated_wait_s"] > 0
    assert {c["skill"] for c in line} == {"cards"}
    assert {c["reason"] for c in line} == {"customer_request"}

    # Priya passes on Ana: Ben is offered to her, and Ana's entry says who passed it on.
    declined = client.post(f"/api/conversations/{ana}/decline", headers=priya["headers"])
    assert declined.status_code == 200
    line = {c["customer_name"]: c for c in client.get("/api/queue", headers=lead).json()}
    assert line["Ana"]["offered_to"] is None
    assert line["Ana"]["passed_on_by"] == [{"id": priya["id"], "name": "Priya Raman"}]
    assert line["Ben"]["offered_to"] == {"id": priya["id"], "name": "Priya Raman"}
    assert line["Ben"]["passed_on_by"] == []

    accepted = client.post(f"/api/conversations/{ben}/accept", headers=priya["headers"])
    assert accepted.status_code == 200
    assert [c["conversation_id"] for c in client.get("/api/queue", headers=lead).json()] == [ana]


def test_only_supervisors_and_ops_read_the_line(client, bot, admin) -> None:
    agent = make_agent(client, admin, "Priya Raman", {"cards": 3})
    _, customer = waiting_chat(client, bot)
    assert client.get("/api/queue", headers=agent["headers"]).status_code == 403
    assert client.get("/api/queue", headers=customer).status_code == 403
    assert client.get("/api/queue").status_code == 401
    for role in ("supervisor", "ops"):
        read = client.get("/api/queue", headers=token(client, admin, role))
        assert read.status_code == 200 and len(read.json()) == 1, read.text
    assert client.get("/api/queue", headers=admin).status_code == 200
