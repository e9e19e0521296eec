"""The tables handoff owns: agents, offers, internal notes, canned replies, tickets and their
events, and the outbox of e-mails and webhooks."""

from __future__ import annotations

from core.db import Database, Migrations

MIGRATIONS = Migrations("handoff")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    # "If not exists": a database made by the retired "cascade" set has these in this shape
    # already (columns in the order it added them).
    db.table("agents").create(
        {
            "id": str,
            "name": str,
            "skills": str,  # JSON {skill: level}
            "max_concurrent": int,
            "status": str,
            "created_at": str,
            "status_changed_at": str,
            "idle_since": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("offers").create(
        {
            "id": int,
            "conversation_id": str,
            "agent_id": str,
            "status": str,  # pending, accepted, declined, expired, withdrawn
            "created_at": str,
            "expires_at": str,
            "decided_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("offers").create_index(["agent_id", "status"], if_not_exists=True)
    db.table("offers").create_index(["conversation_id", "status"], if_not_exists=True)
    db.table("notes").create(
        {"id": int, "conversation_id": str, "agent_id": str, "text": str, "created_at": str},
        pk="id",
        if_not_exists=True,
    )
    db.table("notes").create_index(["conversation_id"], if_not_exists=True)
    db.table("canned").create(
        {"shortcut": str, "text": str, "created_at": str}, pk="shortcut", if_not_exists=True
    )
    tickets = db.table("tickets")
    tickets.create(
        {
            "id": str,
            "number": int,
            "conversation_id": str,
            "status": str,
            "priority": str,
            "skill": str,
            "reason": str,
            "customer_email": str,
            "transcript": str,  # JSON
            "handoff": str,  # JSON
            "notes": str,  # JSON
            "created_at": str,
            "updated_at": str,
            "assignee_agent_id": str,
            "first_response_due": str,
            "resolution_due": str,
            "first_responded_at": str,
            "solved_at": str,
            "sla_state": str,  # JSON: which warnings and breaches were recorded
        },
        pk="id",
        if_not_exists=True,
    )
    tickets.create_index(["number"], unique=True, if_not_exists=True)
    tickets.create_index(["status"], if_not_exists=True)
    db.table("ticket_events").create(
        {"id": int, "ticket_id": str, "name": str, "data": str, "created_at": str},
        pk="id",
        if_not_exists=True,
    )
    db.table("ticket_events").create_index(["ticket_id"], if_not_exists=True)
    db.table("outbox").create(
        {
            "id": int,
            "kind": str,  # email or webhook
            "topic": str,  # ticket.created, ticket.updated, ticket.solved, handoff.*
            "recipient": str,  # an email address or a webhook URL
            "subject": str,
            "body": str,  # email text, or the webhook's JSON body
            "status": str,  # pending, sent, dead
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("outbox").create_index(["status", "next_attempt_at"], if_not_exists=True)


@MIGRATIONS()
def m002_agent_languages(db: Database) -> None:
    # The languages each agent chats in (JSON list of codes of core.language.LANGUAGES): routing
    # offers a chat only to agents who speak its language. Agents made before spoke English, the
    # only language Cascade spoke then; an agent inserted without it speaks English too.
    agents = db.table("agents")
    if "languages" not in agents.columns_dict:
        agents.add_column("languages", str, not_null_default='["en"]')


@MIGRATIONS()
def m003_agent_presence(db: Database) -> None:
    # When the agent's console last sent a heartbeat (null: never; such an agent, driven only
    # through the API, is not watched). An online agent silent past the presence timeout is set
    # away by the queue's timer (handoff/presence.py).
    agents = db.table("agents")
    if "last_seen" not in agents.columns_dict:
        agents.add_column("last_seen", str)


@MIGRATIONS()
def m004_agent_removal(db: Database) -> None:
    # An agent removed is kept, marked with when (DELETE /api/agents/{id}): their past chats,
    # offers, notes and tickets still name who handled them. Empty: the agent works here.
    agents = db.table("agents")
    if "removed_at" not in agents.columns_dict:
        agents.add_column("removed_at", str)


@MIGRATIONS()
def m005_lapsed_offers_index(db: Database) -> None:
    # The queue's timer asks every second whether any pending offer has lapsed: an index, so the
    # question stays cheap however many offers were ever made.
    db.table("offers").create_index(["status", "expires_at"], if_not_exists=True)


@MIGRATIONS()
def m006_passed_offers_index(db: Database) -> None:
    # Each pass of the queue asks which agents passed on the waiting chats (offers declined or
    # lapsed since the oldest of them queued): an index, so it reads only the recent ones.
    db.table("offers").create_index(["status", "created_at"], if_not_exists=True)


@MIGRATIONS()
def m007_canned_in_languages(db: Database) -> None:
    # A canned response's text in other languages than the default (JSON, language -> text):
    # a Japanese customer gets the Japanese greeting.
    canned = db.table("canned")
    if "texts" not in canned.columns_dict:
        canned.add_column("texts", str)


@MIGRATIONS()
def m008_away_reason(db: Database) -> None:
    # Why the server set an agent away ("no_heartbeat", "missed_offers"; empty when the agent
    # chose their status): a console opened afterwards says so, not only the one that heard it.
    agents = db.table("agents")
    if "away_reason" not in agents.columns_dict:
        agents.add_column("away_reason", str)


@MIGRATIONS()
def m009_agent_names_shown_clean(db: Database) -> None:
    # Agents named before control and text-direction characters were refused in names
    # (`core.contact.StaffName`) are cleaned as customers' names are, so no roster, offer or
    # transcript shows "Priya" with another name's letters reversed after it. A name of nothing
    # but such characters becomes the agent's id.
    from core.contact import customer_name as shown_clean

    for agent_id, name in db.execute("select id, name from agents").fetchall():
        if name is not None and (clean := shown_clean(name) or agent_id) != name:
            db.execute("update agents set name = ? where id = ?", [clean, agent_id])
