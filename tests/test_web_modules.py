"""The pages' scripts are ES modules served as they are (no bundler): every relative import names a
file that exists, and no module imports one that (through others) imports it back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import import_circle

JS = Path(__file__).resolve().parents[1] / "web" / "static" / "js"
STATIC = JS.parent

# `import ... from "./x.js"`, `import "./x.js"` and `export ... from "./x.js"`, over several lines.
IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""",
    re.M | re.S,
)


def imports(module: Path) -> list[Path]:
    found = []
    for match in IMPORT.finditer(module.read_text()):
        target = match.group(1) or match.group(2)
        if target.startswith("."):
            found.append((module.parent / target).resolve())
    return found


def graph() -> dict[Path, list[Path]]:
    return {module.resolve(): imports(module) for module in sorted(JS.rglob("*.js"))}


def test_every_relative_import_names_a_module_that_exists():
    missing = [
        f"{module.relative_to(JS)} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if not target.is_file()
    ]
    assert missing == []


def test_no_module_imports_itself_back():
    circle = import_circle(graph())
    assert [str(step.relative_to(JS)) for step in circle] == []


@pytest.mark.parametrize("page", sorted(STATIC.glob("*.html")), ids=lambda p: p.name)
def test_pages_load_their_own_scripts_as_modules(page: Path):
    """Only the vendored libraries (/vendor/) are classic scripts; the pages' own are modules."""
    for tag in re.findall(r"<script\b[^>]*>", page.read_text()):
        if 'src="/static/js/' in tag:
            assert 'type="module"' in tag, tag
