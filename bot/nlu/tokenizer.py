"""A Rasa 3.6 tokenizer that reads English and Japanese, so one model serves both.

A message with any kana or kanji is split by Sudachi (bot/nlu/japanese.py), each token carrying
Sudachi's normalised form as its lemma (the count-vector featurizers read lemmas); any other
message is split on whitespace exactly as Rasa's WhitespaceTokenizer does, so English reads as
it did before. Named in config.yml as `bot.nlu.tokenizer.LanguageAwareTokenizer`; Rasa finds it
because `rasa train` and `rasa run` put their working directory (the project) on the path.

Runs in the Rasa runtime (Python 3.10) only.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.japanese import has_japanese, words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LanguageAwareTokenizer(WhitespaceTokenizer):
    """Sudachi for Japanese, whitespace for everything else."""

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageAwareTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        if not text or not has_japanese(text):
            return super().tokenize(message, attribute)
        tokens = [Token(w.text, w.start, w.end, lemma=w.lemma) for w in words(text)]
        if not tokens:  # only punctuation: the whole text, as the whitespace tokenizer does
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
