"""The base below every tier: storage, clock, settings, auth. Imports no tier."""
