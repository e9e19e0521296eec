"""What a request for a person is about: the request's own words taken out, the topic left;
and whether a message the NLU took for a request names anyone to talk to at all.

"I want to speak to a human about a card payment I don't recognise" -> "a card payment I don't
recognise" (what follows "about", "regarding", ... as written: the search reads whole phrases
best); "human please, my transfer is missing" -> "transfer missing" (the request's words taken
out); "can I talk to a person please" -> "" (no topic: the conversation's earlier question is
searched instead, see bot/actions/handoff.py).
"""

from __future__ import annotations

import re

_REQUEST_WORDS = """
    i i'd id i'm im me my we us you your yours can could may might would will shall please pls
    want wanna like need let get put through connect pass hand over with to a an the of for on
    talk speak chat discuss person persons people human humans being beings agent agents someone
    somebody anyone anybody one real actual live living operator representative rep reps staff
    member members team employee advisor adviser support customer service services about
    regarding re concerning it's its it is there here instead rather than just now right away
    asap bot robot machine and or so that this some help
"""
REQUEST_WORDS = frozenset(_REQUEST_WORDS.split())
# Someone (or something) to talk to: a request for a person names one of these.
PERSON_WORDS = frozenset(
    {
        "person", "persons", "people", "human", "humans", "agent", "agents", "someone",
        "somebody", "anyone", "anybody", "representative", "rep", "reps", "staff", "operator",
        "advisor", "adviser", "member", "employee", "manager", "supervisor", "bot", "robot",
        "real", "live", "support", "team",
    }
)  # fmt: skip
_WORD = re.compile(r"[\w']+")
# Verbs that are also topics ("my transfer is missing") count as the request only with "me".
_ABOUT = re.compile(r"\b(?:about|regarding|concerning|with regard to)\s+(.+)$", re.IGNORECASE)
_POLITE_END = re.compile(r"[\s,.!?]*\b(?:please|pls|thanks|thank you|asap)?[\s,.!?]*$", re.I)
_REQUEST_PHRASES = re.compile(r"\b(transfer|forward|escalate|refer)\s+(me|this|it)\b")


def topic(text: str) -> str:
    """The words of `text` that are not part of asking for a person ("" when none are left)."""
    if text.startswith("/"):  # the "Talk to a person" button says nothing about a topic
        return ""
    about = _ABOUT.search(text)
    if about and names_a_person(text[: about.start()]):
        return _POLITE_END.sub("", about.group(1)).strip()
    words = _WORD.findall(_REQUEST_PHRASES.sub(" ", text.lower()))
    return " ".join(w for w in words if w not in REQUEST_WORDS)


def names_a_person(text: str) -> bool:
    """Whether `text` mentions anyone to talk to ("a human", "an agent", "not a bot").

    A typed "I want to know the routing number" that the NLU takes for a request does not: it is
    a question (bot/actions/handoff.py answers it as one)."""
    return text.startswith("/") or bool(PERSON_WORDS.intersection(_WORD.findall(text.lower())))
