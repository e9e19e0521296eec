"""The layout's rules, checked on the code itself: which package may import which, no import
circles between packages, no module past 400 lines, and every route's
response shape in the OpenAPI document that /docs shows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT, import_circle

PACKAGES = ("core", "conversations", "bot", "knowledge_base", "handoff", "ops", "web", "cascade")

# What each package must never import (DESIGN.md, "Where the code lives").
NEVER: dict[str, set[str]] = {
    "core": set(PACKAGES) - {"core"},
    "knowledge_base": {"conversations", "handoff", "bot", "ops", "web", "cascade"},
    "conversations": {"handoff", "bot", "knowledge_base", "ops", "web", "cascade"},
    "bot": {"handoff", "conversations", "ops", "web", "cascade"},
    "handoff": {"bot", "knowledge_base", "ops", "web", "cascade"},
    "ops": {"bot", "handoff", "knowledge_base", "web", "cascade"},
    "web": {"conversations", "bot", "knowledge_base", "handoff", "ops", "cascade"},
}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    """Top-level project packages a module imports, wherever the import statement stands
    (inside functions and `if TYPE_CHECKING:` blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found


def package_graph() -> dict[str, set[str]]:
    return {
        package: set().union(*(imported_packages(path) for path in modules(package))) - {package}
        for package in PACKAGES
    }


@pytest.mark.parametrize("package", sorted(NEVER))
def test_a_package_imports_only_the_rooms_below_it(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {other}"
        for path in modules(package)
        for other in imported_packages(path) & NEVER[package]
    }
    assert not wrong, sorted(wrong)


def test_no_import_circle_between_packages() -> None:
    assert import_circle(package_graph()) == []


def test_a_circle_is_found_when_there_is_one() -> None:
    assert set(import_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == {"a", "b", "c"}
    assert import_circle({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for package in PACKAGES
        for path in modules(package)
        if len(path.read_text().splitlines()) > 400
    }
    assert long == {}


def test_every_route_declares_its_response_fields(client) -> None:
    """/docs is the contract: every JSON answer has a schema with fields (or a list of them)."""
    spec = client.get("/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})

    def has_fields(schema: dict) -> bool:
        if "$ref" in schema:
            return has_fields(components[schema["$ref"].rsplit("/", 1)[1]])
        if "properties" in schema:
            return True
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:  # a map of named figures, say: dict[str, int]
            return has_fields(extra)
        if schema.get("type") == "array":
            return has_fields(schema.get("items", {}))
        variants = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if variants:
            return all(has_fields(v) for v in variants if v.get("type") != "null")
        return schema.get("type") in {"string", "integer", "number", "boolean"}

    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2") or status == "204":
                    continue
                content = response.get("content", {})
                if not content:
                    continue
                json_schema = content.get("application/json", {}).get("schema")
                if json_schema is not None and not has_fields(json_schema):
                    missing.append(f"{method.upper()} {path}")
    assert missing == []
