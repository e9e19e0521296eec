"""`cascade --help` and each group's: every command's summary reads as one line."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from cascade.cli import app

GROUPS = [[]] + [
    [name] for name, c in typer.main.get_command(app).commands.items() if hasattr(c, "commands")
]


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: " ".join(["cascade", *g]))
def test_every_command_is_listed_with_a_summary_on_one_line(group: list[str]) -> None:
    shown = CliRunner().invoke(app, [*group, "--help"], env={"COLUMNS": "250"}, color=False)
    assert shown.exit_code == 0, shown.output
    panel = shown.output.split("Commands")[1].split("╰")[0]
    rows = [line.strip().strip("│").rstrip()[1:] for line in panel.splitlines()[1:]]
    rows = [row for row in rows if row.strip()]
    names = [re.match(r"\S+", row).group(0) for row in rows if not row.startswith(" ")]
    commands = typer.main.get_command(app)
    for name in group:
        commands = commands.commands[name]
    assert sorted(names) == sorted(commands.commands)
    # One row each: a summary broken mid-sentence would leave a row with no command's name.
    assert len(rows) == len(commands.commands), panel
