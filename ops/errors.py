"""What can go wrong asking for ops figures; the API layer turns these into 422s."""

from __future__ import annotations


class OpsError(Exception):
    """Root of the ops package's errors."""


class BadRange(OpsError):
    """The dates asked for are not a usable range."""


class UnknownSkill(OpsError):
    def __init__(self, skill: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none yet"
        super().__init__(f"no skill named {skill!r}; known skills: {listed}")
        self.skill = skill
        self.known = known


class UnknownArticle(OpsError):
    def __init__(self, article_id: str) -> None:
        super().__init__(f"no article with id {article_id!r}")
        self.article_id = article_id
