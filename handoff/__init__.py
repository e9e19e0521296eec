"""Tiers 2 and 3: who owns a conversation, handing it over, agents, routing and tickets."""
