"""Cascade: a tiered support engine (bot, live agent, ticket)."""
