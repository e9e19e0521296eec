"""The NLU's tokenizer: Japanese split by Sudachi into words with their normalised forms,
everything else on whitespace as Rasa's own tokenizer does. The pure splitting in the app's
runtime; the Rasa component itself in Rasa's runtime, as `rasa train` and `rasa run` load it."""

from __future__ import annotations

import json

import pytest

from bot.nlu.japanese import has_japanese, words
from tests.helpers import run_in_rasa

pytestmark = pytest.mark.engine_independent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("人と話したいです", ["人", "と", "話し", "たい", "です"]),
        ("はい、解決しました！", ["はい", "解決", "し", "まし", "た"]),  # no punctuation
        ("ｶｰﾄﾞが届かない", ["ｶｰﾄﾞ", "が", "届か", "ない"]),  # as written, half-width too
        ("PayPayで 払えない", ["PayPay", "で", "払え", "ない"]),  # no spaces
    ],
)
def test_japanese_is_split_into_words(text: str, expected: list[str]) -> None:
    found = words(text)
    assert [w.text for w in found] == expected
    assert all(text[w.start : w.end] == w.text for w in found)  # offsets into the text


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ありがとうございます", "有難う御座います"),  # kana and kanji spellings
        ("つないでください", "繋いで下さい"),
        ("ｶｰﾄﾞ", "カード"),  # half- and full-width kana
    ],
)
def test_spellings_of_one_word_share_their_normalised_forms(a: str, b: str) -> None:
    assert [w.lemma for w in words(a)] == [w.lemma for w in words(b)]


@pytest.mark.parametrize(
    ("text", "japanese"),
    [("こんにちは", True), ("ｶｰﾄﾞ", True), ("料金", True), ("hello", False), ("12!", False)],
)
def test_which_text_is_split_as_japanese(text: str, japanese: bool) -> None:
    assert has_japanese(text) is japanese


COMPONENT = """
import json, sys
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer as W
from rasa.shared.nlu.training_data.message import Message
from bot.nlu.tokenizer import LanguageAwareTokenizer as T

registered = DefaultV1Recipe._from_registry("bot.nlu.tokenizer.LanguageAwareTokenizer")
tokenizer = T(T.get_default_config())
whitespace = W(W.get_default_config())
out = {"registered": registered.clazz is T, "tokens": {}, "whitespace": {}}
for text in json.loads(sys.argv[1]):
    for name, component in (("tokens", tokenizer), ("whitespace", whitespace)):
        tokens = component.tokenize(Message(data={"text": text}), "text")
        out[name][text] = [[t.text, t.start, t.end, t.lemma] for t in tokens]
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.mark.rasa
def test_the_rasa_component_reads_both_languages() -> None:
    texts = ["返品について担当者と話したいです", "I'd like to talk to someone, please!", "！！"]
    out = run_in_rasa(COMPONENT, json.dumps(texts, ensure_ascii=False))
    assert out["registered"]
    tokens = out["tokens"]
    assert [t[0] for t in tokens[texts[0]]] == [
        "返品", "に", "つい", "て", "担当", "者", "と", "話し", "たい", "です",
    ]  # fmt: skip
    assert tokens[texts[0]][8] == ["たい", 12, 14, "たい"]
    assert tokens[texts[0]][7][3] == "話す"  # the lemma the featurizers read
    # English exactly as Rasa's WhitespaceTokenizer splits it
    assert tokens[texts[1]] == out["whitespace"][texts[1]]
    assert "someone" in [t[0] for t in tokens[texts[1]]]
    assert [t[0] for t in tokens[texts[2]]] == ["！！"]  # only punctuation: the whole text
