"""Rasa's NLU side of the bot: the tokenizer that reads English and Japanese in one model."""
