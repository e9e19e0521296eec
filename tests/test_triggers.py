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
    ],
)
def test_frustration(text: str, previous: list[str], sign: str | None) -> None:
    assert frustration(text, previous) == sign
