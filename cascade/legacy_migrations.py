"""The single migration set ("cascade") every table was created by before each package had its
own: frozen, never to be edited or extended.

Data directories made then recorded some prefix of m001 to m010 under this set's name. The
storage runner finishes the set on those databases only (`core.db.migrate`, as `legacy`),
which leaves their tables in the shape each package's first migration creates on a new
database; new tables and columns go in the owning package's migrations.
"""

from __future__ import annotations

from core.db import Database, Migrations

LEGACY = Migrations("cascade")


@LEGACY()
def m001_initial(db: Database) -> None:
    db.table("articles").create(
        {
            "id": str,
            "title": str,
            "body": str,
            "questions": str,  # JSON list
            "skill": str,
            "tags": str,  # JSON list
            "status": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"title", "status"},
    )
    db.table("kb_vectors").create(
        {"vector_id": int, "article_id": str, "kind": str, "text": str, "embedding": bytes},
        pk="vector_id",
    )
    db.table("kb_vectors").create_index(["article_id"])
    db.table("conversations").create(
        {
            "id": str,
            "status": str,
            "customer_name": str,
            "customer_email": str,
            "page_url": str,
            "priority": str,
            "skill": str,
            "handoff": str,  # JSON: the handoff package, once handed over
            "assigned_agent_id": str,
            "ticket_id": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"status"},
    )
    db.table("messages").create(
        {
            "id": int,
            "conversation_id": str,
            "sender": str,
            "text": str,
            "buttons": str,  # JSON list, or null
            "article_id": str,
            "client_id": str,
            "reply_to": int,
            "created_at": str,
        },
        pk="id",
        not_null={"conversation_id", "sender"},
    )
    db.table("messages").create_index(["conversation_id", "client_id"], unique=True)
    db.table("events").create(
        {"id": int, "conversation_id": str, "name": str, "data": str, "created_at": str},
        pk="id",
    )
    db.table("events").create_index(["conversation_id"])
    db.table("events").create_index(["name", "created_at"])
    db.table("tokens").create(
        {"token_hash": str, "role": str, "subject": str, "created_at": str}, pk="token_hash"
    )
    db.table("agents").create(
        {
            "id": str,
            "name": str,
            "skills": str,  # JSON {skill: level}
            "max_concurrent": int,
            "status": str,
            "created_at": str,
            "status_changed_at": str,
        },
        pk="id",
    )


@LEGACY()
def m002_live_agents(db: Database) -> None:
    conversations = db.table("conversations")
    for column, kind in [
        ("queued_at", str),
        ("assigned_at", str),
        ("csat_score", int),
        ("csat_comment", str),
    ]:
        conversations.add_column(column, kind)
    db.table("agents").add_column("idle_since", str)
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
    )
    db.table("offers").create_index(["agent_id", "status"])
    db.table("offers").create_index(["conversation_id", "status"])
    db.table("notes").create(
        {"id": int, "conversation_id": str, "agent_id": str, "text": str, "created_at": str},
        pk="id",
    )
    db.table("notes").create_index(["conversation_id"])
    db.table("canned").create({"shortcut": str, "text": str, "created_at": str}, pk="shortcut")
    db.table("tickets").create(
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
        },
        pk="id",
    )
    db.table("tickets").create_index(["number"], unique=True)


@LEGACY()
def m003_queue_indexes(db: Database) -> None:
    conversations = db.table("conversations")
    conversations.add_column("queue_rank", int)  # 0 urgent, 1 high, 2 normal, 3 low
    conversations.create_index(["assigned_agent_id", "status"])
    conversations.create_index(["status", "queued_at"])
    conversations.create_index(["status", "queue_rank", "queued_at"])


@LEGACY()
def m004_tickets_and_outbox(db: Database) -> None:
    tickets = db.table("tickets")
    for column, kind in [
        ("assignee_agent_id", str),
        ("first_response_due", str),
        ("resolution_due", str),
        ("first_responded_at", str),
        ("solved_at", str),
        ("sla_state", str),  # JSON: which warnings and breaches were recorded
    ]:
        tickets.add_column(column, kind)
    tickets.create_index(["status"])
    db.table("ticket_events").create(
        {"id": int, "ticket_id": str, "name": str, "data": str, "created_at": str}, pk="id"
    )
    db.table("ticket_events").create_index(["ticket_id"])
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
    )
    db.table("outbox").create_index(["status", "next_attempt_at"])


@LEGACY()
def m005_awaiting(db: Database) -> None:
    # What the app itself asked the customer for and waits on (e.g. "email" while queued).
    db.table("conversations").add_column("awaiting", str)


@LEGACY()
def m006_article_versions(db: Database) -> None:
    db.table("articles").add_column("version", int)
    db.table("articles").add_column("author", str)
    db.table("article_versions").create(
        {
            "id": int,
            "article_id": str,
            "version": int,
            "title": str,
            "body": str,
            "questions": str,  # JSON list
            "skill": str,
            "tags": str,  # JSON list
            "status": str,
            "author": str,
            "change": str,  # created, edited, published, archived, imported, rolled back to N
            "created_at": str,
        },
        pk="id",
    )
    db.table("article_versions").create_index(["article_id", "version"], unique=True)


@LEGACY()
def m007_content_gaps(db: Database) -> None:
    db.table("kb_gaps").create(
        {
            "id": int,
            "question": str,
            "conversation_id": str,
            "reason": str,  # no_answer, low_nlu_confidence, clarification_declined, unhelpful_answers
            "embedding": bytes,
            "article_id": str,  # set when the gap was closed with an article
            "created_at": str,
        },
        pk="id",
    )
    db.table("kb_gaps").create_index(["conversation_id", "question"], unique=True)
    db.table("kb_gaps").create_index(["article_id"])


@LEGACY()
def m008_client_ids_per_sender(db: Database) -> None:
    # A customer's and an agent's client ids are their own: "m1" from each is two messages.
    db.execute("drop index if exists idx_messages_conversation_id_client_id")
    db.table("messages").create_index(["conversation_id", "sender", "client_id"], unique=True)


@LEGACY()
def m009_channel_sessions(db: Database) -> None:
    # A Rasa-protocol widget's session id (its only secret) and the conversation it speaks in.
    db.table("channel_sessions").create(
        {"session_id": str, "channel": str, "conversation_id": str, "created_at": str},
        pk="session_id",
        not_null={"channel", "conversation_id"},
    )
    db.table("channel_sessions").create_index(["conversation_id"])


@LEGACY()
def m010_embedding_model(db: Database) -> None:
    # Which model made the stored vectors, so a change of model re-embeds them (from their text).
    db.table("kb_embedder").create({"id": int, "name": str, "dim": int}, pk="id")
