"""A skill's name, one rule wherever a skill is named: an article's, an agent's, a ticket's, a
transfer's. The hand-over matches them as they are written, so a name an agent cannot type or
see (a tab, a NUL) would route nothing."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


def skill_name(skill: str) -> str:
    """1-64 printable characters, not all blank."""
    if not skill.strip():
        raise ValueError("skill names must not be blank")
    if len(skill) > 64:
        raise ValueError(f"skill names have at most 64 characters, not {len(skill)}")
    if not skill.isprintable():
        raise ValueError("skill names must not hold control characters")
    return skill


SkillName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(skill_name)]
