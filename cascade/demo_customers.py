"""The demo's simulated customers: who they are, what they ask, and how they answer the bot.

A customer knows which article they need (`want`), or that none exists (a question the demo's
knowledge base does not cover). They ask an article's own example question or a paraphrase of
it, and judge the bot's reply by the truth: Yes only for the article they needed, the right
choice when offered one, No or a person otherwise; a few leave without a word.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from cascade.demo_bot import PERSON_PHRASES

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Ewa", "Farah", "George", "Hana", "Isaac", "Jade", "Kofi",
    "Lena", "Mateo", "Nia", "Oscar", "Priti", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Viktor",
    "Wen", "Yusuf", "Zoe", "Aled", "Bea", "Callum", "Dina", "Emeka",
)  # fmt: skip
SURNAMES = (
    "Ahmed", "Brennan", "Clarke", "Dlamini", "Evans", "Fischer", "Gupta", "Hughes", "Ito",
    "Jones", "Kowalczyk", "Lopez", "Murphy", "Nowak", "Owusu", "Patel", "Reid", "Santos",
    "Taylor", "Walsh",
)  # fmt: skip
# Questions the demo's knowledge base has no article for: they become content gaps.
UNCOVERED = (
    "Do you offer mortgages?",
    "What time does your Leeds branch open on Saturday?",
    "Can I buy bitcoin in the app?",
    "Do you have business accounts for sole traders?",
    "Is travel insurance included with my account?",
    "How do I transfer my pension to you?",
    "Can I order a chequebook?",
    "Do you do student accounts with an interest free overdraft?",
    "Can I pay in a cheque by post?",
    "Do you offer car finance?",
)
# Typed in anger: the app's frustration check hands these over before the bot sees them.
ANGRY = {
    "cant-log-in": "This app is rubbish, I still can't log in!!",
    "card-declined": "my card got declined AGAIN, this is ridiculous",
    "payment-not-arrived": "Waste of time. My payment still hasn't arrived",
}
PREFIXES = ("", "", "", "", "hi, ", "hello, ", "quick question: ", "hey ", "sorry to bother you, ")
SUFFIXES = ("", "", "", "?", " please", " thanks", "??")
THANKS = ("Great, thank you!", "Perfect, thanks for your help", "That sorts it, cheers", "thanks!")
DETAILS = (
    "Thanks. I tried the app first but couldn't work it out.",
    "Hi, yes, it's what I asked the assistant about.",
    "Thank you. It's a bit urgent if possible.",
    "Hello! I've got the details here if you need them.",
)


@dataclass(frozen=True)
class Customer:
    name: str
    email: str


@dataclass(frozen=True)
class Persona:
    """One visit: who, the article they need (None: none exists), and what they type first."""

    customer: Customer
    want: str | None
    skill: str
    first: str


def customers(rng: random.Random, count: int) -> list[Customer]:
    """A pool of people; drawing visits from it brings some of them back."""
    pool = []
    for first in FIRST_NAMES:
        for surname in SURNAMES:
            pool.append(Customer(f"{first} {surname}", f"{first}.{surname}@example.com".lower()))
    rng.shuffle(pool)
    return pool[:count]


def typo(text: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped in one longer word, as hurried typing does."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def paraphrase(question: str, rng: random.Random) -> str:
    """An example question as a customer might type it: greeted, hurried, mistyped or as is."""
    text = typo(question, rng) if rng.random() < 0.2 else question
    if rng.random() < 0.3:
        text = text[:1].upper() + text[1:]
    return rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)


def visit(rng: random.Random, customer: Customer, articles: list[Any]) -> Persona:
    """Who comes with what: most ask about an article, some about what no article covers, some
    want a person from the start, a few arrive angry."""
    weights = [0.4 if a.sensitive else 1.0 for a in articles]
    article = rng.choices(articles, weights=weights)[0]
    roll = rng.random()
    if roll < 0.10:
        return Persona(customer, None, "general", rng.choice(UNCOVERED))
    if roll < 0.19:
        return Persona(customer, article.id, article.skill, rng.choice(PERSON_PHRASES))
    angry = [a for a in articles if a.id in ANGRY]
    if roll < 0.22 and angry:
        chosen = rng.choice(angry)
        return Persona(customer, chosen.id, chosen.skill, ANGRY[chosen.id])
    return Persona(
        customer, article.id, article.skill, paraphrase(rng.choice(article.questions), rng)
    )


def buttons_of(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The buttons of the last message in a turn that offers any."""
    for message in reversed(messages):
        if message.get("buttons"):
            return list(message["buttons"])
    return []


def offers_email(messages: list[dict[str, Any]]) -> bool:
    """Whether "Email me instead" is on offer (not on a server that sends no email)."""
    return any(b["payload"] == "/email_me" for b in buttons_of(messages))


def chosen_article(payload: str) -> str | None:
    if not payload.startswith("/choose_article"):
        return None
    try:
        return str(json.loads(payload.removeprefix("/choose_article"))["article_id"])
    except (ValueError, KeyError, TypeError):
        return None


def person_button(buttons: list[dict[str, str]]) -> str | None:
    """A button that asks for a person, where the bot offers one."""
    for button in buttons:
        if "person" in button["title"].lower() or button["payload"].startswith("/request_human"):
            return button["payload"]
    return None


def reply_to_bot(
    persona: Persona, messages: list[dict[str, Any]], rng: random.Random
) -> str | None:
    """What the customer presses after the bot's turn; None: they leave without a word."""
    buttons = buttons_of(messages)
    if not buttons:
        return None
    payloads = [b["payload"] for b in buttons]
    shown = next((m["article_id"] for m in reversed(messages) if m.get("article_id")), None)
    if "/affirm" in payloads:  # "did that answer your question?"
        right = shown is not None and shown == persona.want
        roll = rng.random()
        if right:
            return "/affirm" if roll < 0.82 else None if roll < 0.95 else "/deny"
        if roll < 0.12:
            return None  # gone with the wrong answer
        return person_button(buttons) or "/deny"
    if rng.random() < 0.3:
        return None  # gone before choosing: abandoned at the idle limit
    for payload in payloads:  # choices: the right one if it is there
        if persona.want is not None and chosen_article(payload) == persona.want:
            return payload
    if any(chosen_article(p) for p in payloads):
        return person_button(buttons) or ("/deny" if "/deny" in payloads else None)
    return person_button(buttons)
