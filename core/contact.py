"""Email addresses as customers type them, and the replies that decline to give one.

Shared by the bot's email form (`bot/actions/contact.py`) and the queue's "email me instead"
(`conversations/customer_turn.py`), so both take the same replies: an address anywhere in the
message ("it's ana@example.com"), typed full-width by a Japanese IME (ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ,
read after NFKC), and checked by email-validator. Finding the address inside a sentence and
telling "my email is …" from a request are not what email-validator does, hence the patterns.
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, EmailStr

from core.language import normalise, script
from core.unstorable import blank

# An address's characters: not spaces, brackets or quotes, nor Japanese (kana, kanji, Japanese
# punctuation): Japanese is written without spaces, so 「メールはtaro@example.jpです」 gives
# taro@example.jp, not メールはtaro@example.jp (email-validator accepts the latter: non-ASCII
# addresses exist, but a support chat in Japanese sees the run-on sentence far more often).
_CHARS = r"[^@\s<>(),;:\"'\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f]"
_CANDIDATE = re.compile(rf"{_CHARS}+@{_CHARS}+\.[A-Za-z]{{2,}}")
_TRIM = ".,!?。、！？ 「」"
DECLINES = frozenset(
    {
        "skip", "skip it", "skip that", "no", "no thanks", "none", "nope", "i'd rather not",
        "i'd rather not say", "rather not say", "i'd prefer not to", "no email", "never mind",
        "nevermind", "cancel", "no thank you", "rather not", "not now", "no email address",
        "i don't have one", "i don't have an email", "i don't have an email address",
        "i have no email", "i have no email address",
        "スキップ", "すきっぷ", "いいえ", "結構です", "けっこうです", "不要", "不要です", "なし",
        "なしで", "なしでお願いします", "いらない", "いらないです", "要らない", "要らないです",
        "いりません", "要りません", "大丈夫", "大丈夫です", "キャンセル", "ないです", "ありません",
        "持っていません", "持ってないです", "メールアドレスはないです", "メールアドレスはありません",
        "メールアドレスは持っていません", "メールは結構です", "メールは不要です",
    }
)  # fmt: skip
# Words a reply may open with before it declines (「えーと、いらないです」, "um, no thanks").
_FILLER = re.compile(r"^(?:えーっと|えーと|えっと|あのー*|うーん|(?:um+|uh+|well|hmm+)\b)[、,\s]*")
# What is left of a message that only gives an address, once the address is taken out.
_ONLY_GIVES = re.compile(
    r"^(?:(?:hi|hello|ok|okay|sure|yes)\s*)?"
    r"(?:(?:here'?s|here is|this is|it'?s|it is)\s*)?(?:(?:my|our)\s+)?"
    r"(?:e-?mail(?:\s+address)?|address|contact)?\s*(?:is|:|-)?\s*"
    r"(?:thanks|thank you)?$"
    r"|^(?:私の)?(?:メール|メアド|Eメール)(?:アドレス)?(?:は|:)?(?:です|になります)?$",
    re.IGNORECASE,
)

# Words that ask for a reply by email ("email me at …", 「メールで連絡してください」).
_ASKS = re.compile(
    r"\b(?:e-?mail|write|reply|respond|contact|send|get back|reach)\b[^.?!]*\b(?:me|us)\b"
    r"|\bby e-?mail\b|\binstead\b|\b(?:reply|respond|send)\b"
    r"|メールで|メールに|メール(?:を|が)?(?:ください|下さい|ほしい|欲しい|お願い)|(?:連絡|返信|回答)(?:を|して|ください)",
    re.IGNORECASE,
)


def deliverable(address: str) -> str:
    """`address` in its normal form, if mail can be sent to it: its domain may be international
    (sent as its ASCII form, `ascii_address`), but the part before the @ must be ASCII, which
    few mail servers take otherwise (SMTPUTF8). EmailNotValidError says why not."""
    return validate_email(address, check_deliverability=False, allow_smtputf8=False).normalized


def ascii_address(address: str) -> str:
    """The form mail is sent to: an international domain in ASCII (jose@xn--bcher-kva.de)."""
    checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    return checked.ascii_email or checked.normalized


def _deliverable(address: str) -> str:
    try:
        return deliverable(address)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def _as_typed(value: object) -> object:
    """NFKC first, as the chat reads addresses: a Japanese IME types ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ."""
    return normalise(value).strip() if isinstance(value, str) else value


# An address a request gives (a customer's, a transcript's): one mail can be sent to.
DeliverableEmail = Annotated[EmailStr, BeforeValidator(_as_typed), AfterValidator(_deliverable)]


def find_email(text: str) -> str | None:
    """The first deliverable address anywhere in `text`, in its normal form, or None."""
    for found in _CANDIDATE.finditer(normalise(text).strip()):
        try:
            return deliverable(found.group(0).rstrip("."))
        except EmailNotValidError:
            continue
    return None


def declines(text: str) -> bool:
    """A reply that declines to give an address ("skip", "no thanks", 「不要です」)."""
    said = normalise(text).strip().lower().strip(_TRIM)
    return said in DECLINES or _FILLER.sub("", said).strip(_TRIM) in DECLINES


def only_gives_email(text: str) -> str | None:
    """The address, when the message does nothing but give it ("my email is ana@example.com",
    「メールアドレスは hanako@example.jp です」): a statement, not a request to be emailed."""
    address = find_email(text)
    if address is None:
        return None
    rest = _CANDIDATE.sub(" ", normalise(text).strip())
    rest = re.sub(r"\s+", " ", rest).strip(_TRIM + ":")
    return (
        address
        if _ONLY_GIVES.match(rest.replace(" ", "") if _is_japanese(rest) else rest)
        else None
    )


def _is_japanese(text: str) -> bool:
    return any(script(c) in ("CJK", "HIRAGANA", "KATAKANA") for c in text)


def asks_to_be_emailed(text: str) -> bool:
    """Whether the message asks for a reply by email, as opposed to only mentioning an address."""
    return bool(_ASKS.search(_CANDIDATE.sub(" ", normalise(text).strip())))


# email, e-mail, emailed, emails, mail me, mailed; not voicemail.
_NAMES_EMAIL = re.compile(r"(?<![a-z])(?:e-?)?mail|メール", re.IGNORECASE)


def names_email(text: str) -> bool:
    """Whether the message says "email" or 「メール」 at all: every way of asking to be emailed
    does."""
    return bool(_NAMES_EMAIL.search(normalise(text)))


def wants_email(text: str) -> bool:
    """A message that asks to be emailed, naming email ("can you just email me instead?",
    「メールで返事をください」): narrower than `asks_to_be_emailed`, which reads a message known
    to hold an address."""
    typed = normalise(text)
    return bool(_NAMES_EMAIL.search(typed)) and asks_to_be_emailed(text)


# Characters a name never needs and a spoof does: C0 and C1 controls and the line and paragraph
# separators (a line break in a name breaks the console's rows and the hand-over summary), and the
# bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which show "Ana" with
# another name's letters reversed and turn the text after the name around too. Natural
# right-to-left names need none of them. (The direction marks U+200E, U+200F and U+061C, which
# reverse nothing, are left alone.)
_UNSHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def customer_name(value: str | None) -> str | None:
    """A name the company's page gave for its customer, as agents are shown it: each of those
    characters replaced by a space, runs of spaces made one (a full-width space stays as it is);
    None when nothing is left. Cleaned rather than refused: the customer did not type it, and a
    refusal would leave them with no chat at all."""
    if value is None:
        return None
    return re.sub(" {2,}", " ", _UNSHOWN.sub(" ", value)).strip(" ") or None


def name_problem(value: str) -> str | None:
    """What is wrong with a staff member's or agent's name, if anything."""
    if blank(value):
        return "a name must show something (not spaces or invisible characters alone)"
    if found := _UNSHOWN.search(value):
        return f"names must not hold control or text-direction characters (U+{ord(found[0]):04X})"
    return None


def _staff_name(value: str) -> str:
    if problem := name_problem(value):
        raise ValueError(problem)
    return value


# A staff member's or agent's name, as an admin types it: refused with what is wrong.
StaffName = Annotated[str, AfterValidator(_staff_name)]
