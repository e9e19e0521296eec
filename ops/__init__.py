"""Ops figures: first-contact resolution and the rest, computed from the event log."""
