"""What the customer reads about their ticket: in the chat and by email, in the conversation's
language (the texts are in locale/<language>/LC_MESSAGES/chat.po and email.po).

The reasons here are told to the customer ("why you are getting a ticket"); the reasons an
agent reads in a hand-over summary are `handoff.package.HANDOVER_REASON_FOR_STAFF`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from conversations.links import ChatLinks
from conversations.store import ConversationStore
from conversations.transcript import as_plain
from core.words import say
from handoff.ticket_sinks import Notifier

# Why the customer is getting a ticket: the reasons with words of their own (chat.po's
# `chat.ticket_why_<reason>`); any other reason reads as `chat.ticket_why_other`.
TICKET_REASONS_FOR_CUSTOMER = frozenset(
    {
        "max_wait",
        "nobody_online",
        "passed_on",
        "outside_hours",
        "agent_escalated",
        "customer_chose_email",
    }
)

CSAT_BUTTONS = [{"title": str(n), "payload": f'/csat{{"score": {n}}}'} for n in range(1, 6)]


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def filed_text(
    ticket_id: str, *, reason: str, email: str | None, mails: bool, language: str | None
) -> str:
    """The chat message telling the customer their ticket's number and what happens next."""
    follow_up = follow_up_text(email, mails=mails, language=language)
    why = say(
        language,
        f"chat.ticket_why_{reason if reason in TICKET_REASONS_FOR_CUSTOMER else 'other'}",
    )
    return say(language, "chat.ticket_filed", why=why, ticket_id=ticket_id, follow_up=follow_up)


def follow_up_text(email: str | None, *, mails: bool, language: str | None) -> str:
    """How the customer will hear back: by email when they gave an address, else in the chat.
    A server that sends no email (`mails` false: no SMTP server) promises only the chat."""
    if not mails:
        return say(language, "chat.ticket_follow_here")
    if email:
        return say(language, "chat.ticket_follow_email", email=email)
    return say(language, "chat.ticket_follow_chat")


def on_ticket_text(
    ticket_id: str, *, closed: bool, email: str | None, mails: bool, language: str | None
) -> str:
    """The chat's answer to a customer writing on their ticket: added to it, or, when it is
    closed, that no one will read it there."""
    if closed:
        return say(language, "chat.ticket_closed", ticket_id=ticket_id)
    follow_up = follow_up_text(email, mails=mails, language=language)
    return say(language, "chat.ticket_added", ticket_id=ticket_id, follow_up=follow_up)


def filed_email(ticket_id: str, conversation: dict[str, Any], *, link: str | None = None) -> Email:
    """The email saying the ticket was filed; and `link`, which opens the chat again
    (conversations.links), when there is one.

    Anyone may start a chat with any address, so for an address nobody vouched for this email
    carries none of the customer's own words: neither their name nor their question. Otherwise a
    stranger could have the support address mail their text and links to whoever they name (the
    helpdesk relay spam of 2023). A customer the company's site signed in (`user_id`,
    conversations.identity) is greeted by name and reads the question as they wrote it, so the
    mail makes sense read days later."""
    language = conversation["language"]
    vouched = bool(conversation.get("user_id"))
    customer_name = conversation["customer_name"] if vouched else None
    greeting = (
        say(language, "email.greeting_named", customer_name=customer_name)
        if customer_name
        else say(language, "email.greeting")
    )
    body = say(language, "email.ticket_filed_body", ticket_id=ticket_id)
    question = json.loads(conversation["handoff"] or "{}").get("question") if vouched else None
    if question:
        body += "\n\n" + say(language, "email.ticket_filed_question", question=question)
    if link:
        body += "\n\n" + say(language, "email.chat_link_filed", link=link)
    return Email(
        subject=say(language, "email.ticket_filed_subject", ticket_id=ticket_id),
        body=f"{greeting}\n\n{body}\n",
    )


def solved_text(ticket_id: str, *, language: str | None) -> str:
    return say(language, "chat.ticket_solved", ticket_id=ticket_id)


def solved_email(ticket_id: str, *, language: str | None, link: str | None = None) -> Email:
    body = say(language, "email.ticket_solved_body", ticket_id=ticket_id)
    if link:
        body += "\n\n" + say(language, "email.chat_link_solved", link=link)
    return Email(
        subject=say(language, "email.ticket_solved_subject", ticket_id=ticket_id),
        body=body + "\n",
    )


def reply_email(
    ticket_id: str,
    text: str,
    *,
    language: str | None,
    link: str | None = None,
    author: str | None = None,
) -> Email:
    """An agent's reply by email, signed with their name as it is in the chat (`author`)."""
    footer = (
        say(language, "email.ticket_reply_footer_link", link=link)
        if link
        else say(language, "email.ticket_reply_footer")
    )
    signed = (
        "\n\n" + say(language, "email.ticket_reply_signature", agent_name=author) if author else ""
    )
    return Email(
        subject=say(language, "email.ticket_reply_subject", ticket_id=ticket_id),
        body=f"{as_plain(text)}{signed}\n\n{footer}\n",  # the agent's Markdown as plain text
    )


def tell_solved(
    conversations: ConversationStore,
    notifier: Notifier,
    row: dict[str, Any],
    at: str,
    links: ChatLinks,
) -> None:
    """Tell the customer their ticket (`row`) is solved: in the chat, asking for a rating, and
    by email when they gave an address."""
    language = conversations.language(row["conversation_id"])
    conversations.add_message(
        row["conversation_id"],
        sender="system",
        text=solved_text(row["id"], language=language),
        buttons=CSAT_BUTTONS,
        at=at,
    )
    if row["customer_email"]:
        link = links.to(row["conversation_id"])
        mail = solved_email(row["id"], language=language, link=link)
        notifier.enqueue_email(
            to=row["customer_email"], subject=mail.subject, body=mail.body, topic="ticket.solved"
        )


def email_reply(
    conversations: ConversationStore,
    notifier: Notifier,
    row: dict[str, Any],
    message: dict[str, Any],
    links: ChatLinks,
) -> None:
    """Email an agent's reply (`message`, as stored in the chat) on the ticket (`row`) to the
    customer, with a link to the chat."""
    conversation_id = row["conversation_id"]
    mail = reply_email(
        row["id"],
        message["text"],
        language=conversations.language(conversation_id),
        link=links.to(conversation_id),
        author=message.get("author"),
    )
    notifier.enqueue_email(
        to=row["customer_email"], subject=mail.subject, body=mail.body, topic="ticket.updated"
    )
