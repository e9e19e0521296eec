"""Tier 1's dialogue side: Rasa custom actions, served by the app."""
