"""The tables conversations owns: conversations, their messages, the append-only event log,
and the sessions of Rasa-protocol widgets."""

from __future__ import annotations

from core.db import Database, Migrations

MIGRATIONS = Migrations("conversations")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    # "If not exists": a database made by the retired "cascade" set has these in this shape
    # already (columns in the order it added them).
    conversations = db.table("conversations")
    conversations.create(
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
            "queued_at": str,
            "assigned_at": str,
            "csat_score": int,
            "csat_comment": str,
            "queue_rank": int,  # 0 urgent, 1 high, 2 normal, 3 low
            "awaiting": str,  # what the app asked the customer for and waits on, e.g. "email"
        },
        pk="id",
        not_null={"status"},
        if_not_exists=True,
    )
    conversations.create_index(["assigned_agent_id", "status"], if_not_exists=True)
    conversations.create_index(["status", "queued_at"], if_not_exists=True)
    conversations.create_index(["status", "queue_rank", "queued_at"], if_not_exists=True)
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
        if_not_exists=True,
    )
    # A customer's and an agent's client ids are their own: "m1" from each is two messages.
    db.table("messages").create_index(
        ["conversation_id", "sender", "client_id"], unique=True, if_not_exists=True
    )
    db.table("events").create(
        {"id": int, "conversation_id": str, "name": str, "data": str, "created_at": str},
        pk="id",
        if_not_exists=True,
    )
    db.table("events").create_index(["conversation_id"], if_not_exists=True)
    db.table("events").create_index(["name", "created_at"], if_not_exists=True)
    # A Rasa-protocol widget's session id (its only secret) and the conversation it speaks in.
    db.table("channel_sessions").create(
        {"session_id": str, "channel": str, "conversation_id": str, "created_at": str},
        pk="session_id",
        not_null={"channel", "conversation_id"},
        if_not_exists=True,
    )
    db.table("channel_sessions").create_index(["conversation_id"], if_not_exists=True)


@MIGRATIONS()
def m002_customer_identity(db: Database) -> None:
    # Who the customer is across conversations: the widget's own id for the browser, and the
    # company's user id when its site signed it (never an unsigned one).
    conversations = db.table("conversations")
    for column in ("visitor_id", "user_id"):
        if column not in conversations.columns_dict:
            conversations.add_column(column, str)
        conversations.create_index([column], if_not_exists=True)


@MIGRATIONS()
def m003_language(db: Database) -> None:
    # The language the conversation is held in (a code of core.language.LANGUAGES; null until
    # decided, read as the default), and what decided it: "locale" (given when it started) or
    # "detected" (from the customer's own messages).
    conversations = db.table("conversations")
    for column in ("language", "language_source"):
        if column not in conversations.columns_dict:
            conversations.add_column(column, str)


@MIGRATIONS()
def m004_customer_presence(db: Database) -> None:
    # The last moment the customer was known to have the chat open (a read of it, or a socket
    # connected), besides their own messages: a chat with an agent whose customer has gone is
    # abandoned after the idle limit. Null: not seen since this column came.
    conversations = db.table("conversations")
    if "customer_seen_at" not in conversations.columns_dict:
        conversations.add_column("customer_seen_at", str)


@MIGRATIONS()
def m005_unanswered_messages(db: Database) -> None:
    # A customer's message whose turn has not been taken yet: written with the message, in its
    # transaction, and deleted when the turn is done. Whatever a crash leaves here is answered
    # at the next start-up. `payload` is what to send the bot when it is not the message's own
    # text (a button's payload, where the message shows the button's title).
    db.table("unanswered_messages").create(
        {"message_id": int, "conversation_id": str, "payload": str, "created_at": str},
        pk="message_id",
        not_null={"conversation_id"},
        if_not_exists=True,
    )


@MIGRATIONS()
def m006_purged_at(db: Database) -> None:
    # When retention reduced the conversation to an anonymous record (`conversations.retention`):
    # its figures stay, what the customer wrote and who they are do not.
    conversations = db.table("conversations")
    if "purged_at" not in conversations.columns_dict:
        conversations.add_column("purged_at", str)


@MIGRATIONS()
def m007_unanswered_host(db: Database) -> None:
    # Which replica stored the message and is taking its turn (with several replicas on Redis):
    # a replica that died or stopped leaves its turns to a living one. Empty with one process.
    unanswered = db.table("unanswered_messages")
    if "host" not in unanswered.columns_dict:
        unanswered.add_column("host", str)


@MIGRATIONS()
def m008_message_author(db: Database) -> None:
    # Who wrote an agent's message, by the name the customer saw: a chat passed from one agent
    # to another shows each reply under its own writer's name. Null for older messages and for
    # everyone else's.
    messages = db.table("messages")
    if "author" not in messages.columns_dict:
        messages.add_column("author", str)


@MIGRATIONS()
def m009_customer_names_shown_clean(db: Database) -> None:
    # Names given before control and text-direction characters were taken out of them at the
    # door (`core.contact.customer_name`) are cleaned the same way, so no stored name shows "Ana"
    # with another name's letters reversed in the console.
    from core.contact import customer_name

    rows = db.execute(
        "select id, customer_name from conversations where customer_name is not null"
    ).fetchall()
    for conversation_id, name in rows:
        if (clean := customer_name(name)) != name:
            db.execute(
                "update conversations set customer_name = ? where id = ?", [clean, conversation_id]
            )
