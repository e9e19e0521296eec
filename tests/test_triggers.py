from __future__ import annotations

import pytest

from conversations.triggers import frustration


@pytest.mark.parametrize(
    ("text", "previous", "sign"),
    [
        ("WHY IS MY CARD NOT WORKING AGAIN", [], "shouting"),
        ("I need my PIN for the ATM", [], None),  # acronyms are not shouting
        ("this bot is useless", [], "insult"),
        ("you are stupid", [], "insult"),
        ("this is a waste of time", [], "insult"),
        ("how do i freeze my card", [], None),
        ("how do I freeze my card?", ["How do I freeze my card"], "repeat"),
        ("how do i freeze my card", ["what is my balance"], None),
        ("/deny", ["/deny"], None),  # button presses are not typed text
        ("ok", ["ok"], None),  # too short to count as going round in circles
        # Swear words
        ("this fucking app never works", [], "insult"),
        ("wtf is going on with my transfer", [], "insult"),
        ("this is bullshit", [], "insult"),
        ("my account was charged a fee", [], None),
        # Words that are also plain nouns are insults only where they judge something
        ("this is a joke", [], "insult"),
        ("what a joke", [], "insult"),
        ("your support is a complete joke", [], "insult"),
        ("it's total garbage", [], "insult"),
        ("this garbage app lost my money", [], "insult"),
        ("this bank is rubbish", [], "insult"),
        ("screw you", [], "insult"),
        ("Rubbish!", [], "insult"),
        ("total garbage", [], "insult"),
        ("can you tell me a nice joke", [], None),
        ("find me a joke related to baseball", [], None),
        ("move buying eggs item to trash from to do list", [], None),
        ("when is the trash collected", [], None),
        ("tuesday is garbage day", [], None),
        ("how do i book a rubbish collection", [], None),
        ("i need a screw for my shelf", [], None),
        # Japanese anger and insults, however they are written
        ("ふざけるな", [], "insult"),
        ("いい加減にしてください", [], "insult"),
        ("全然役に立たないですね", [], "insult"),
        ("最悪です", [], "insult"),
        ("対応が最低です", [], "insult"),
        ("時間の無駄でした", [], "insult"),
        ("バカにしてるの？", [], "insult"),
        ("最悪の場合どうなりますか", [], None),  # "in the worst case": a question
        ("最低料金はいくらですか", [], None),  # "the minimum fee"
        ("カードが使えないのですが", [], None),  # the card does not work: not an insult
        ("買ったばかりです", [], None),
        # Shouting with exclamation marks, in any script, full-width too
        ("なんで届かないの！！！", [], "shouting"),
        ("why is it not here!!!", [], "shouting"),
        ("え？！？！", [], "shouting"),
        ("本当ですか!?", [], None),  # one surprised mark is not shouting
        ("ありがとうございます！！！", [], None),  # thanks may be exclaimed
        ("Thank you so much!!!", [], None),
        # Repeats in any script (after NFKC: half-width kana are the same letters)
        ("カードが届きません", ["カードが届きません"], "repeat"),
        ("ｶｰﾄﾞが届きません", ["カードが届きません"], "repeat"),
        ("カードが届きません", ["パスワードを忘れました"], None),
        ("はい", ["はい"], None),  # too short to count
    ],
)
def test_frustration(text: str, previous: list[str], sign: str | None) -> None:
    assert frustration(text, previous) == sign


@pytest.mark.parametrize("reply", ["nope", "いいえ", "No, not that one"])
def test_the_same_answer_to_the_bot_s_next_question_is_no_repeat(reply) -> None:
    """ "No" to one article, then "no" to the next one the bot asks about: two answers."""
    assert frustration(reply, [reply], answering=True) is None
    assert frustration(reply, [reply]) == "repeat"  # unasked, it is going round in circles
