"""Every type docs/contracts.md states is the type the bundled schema enforces, field by field.

The oracle reads the bundled schemas (what validates messages), not the sources the docs are
rendered from, and parses the rendered Markdown as a reader would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from doran.codegen.generate import DOCS_FILE, render
from doran.schema_source.bundle import bundle_document
from doran.schema_source.schema_set import SchemaSet, load_schema_set

REPO = Path(__file__).resolve().parents[2]
_KINDS = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
_KINDS |= {list: "array", dict: "object"}


def _types(bundle: dict[str, Any], node: Any) -> set[str] | None:
    """JSON types a bundled schema node admits (None: any), following `#/$defs/...` references."""
    if not isinstance(node, dict):
        return None if node is not False else set()
    found: list[set[str]] = []
    if "type" in node:
        found.append({node["type"]} if isinstance(node["type"], str) else set(node["type"]))
    if "const" in node:
        found.append({_KINDS[type(node["const"])]})
    if "enum" in node:
        found.append({_KINDS[type(value)] for value in node["enum"]})
    if "$ref" in node:
        target = _types(bundle, bundle["$defs"][node["$ref"].removeprefix("#/$defs/")])
        found += [target] if target is not None else []
    for member in node.get("allOf", []):
        member_types = _types(bundle, member)
        found += [member_types] if member_types is not None else []
    for combinator in ("oneOf", "anyOf"):
        branches = [_types(bundle, branch) for branch in node.get(combinator, [])]
        if branches and all(b is not None for b in branches):
            found.append(set().union(*[b for b in branches if b is not None]))
    return set.intersection(*found) if found else None


def _ref_name(bundle: dict[str, Any], node: dict[str, Any]) -> str | None:
    if "$ref" not in node:
        return None
    name = node["$ref"].removeprefix("#/$defs/")
    return str(bundle["$defs"][name].get("title", name))


def _check(bundle: dict[str, Any], node: dict[str, Any], cell: str, where: str) -> None:
    if "const" in node:
        assert cell == f"const `{json.dumps(node['const'])}`", where
        return
    if "enum" in node:
        assert cell == "one of " + ", ".join(f"`{v}`" for v in node["enum"]), where
        return
    if cell.startswith("array of "):
        assert _types(bundle, node) == {"array"}, where
        _check(bundle, node["items"], cell.removeprefix("array of "), f"{where}/items")
        return
    stated, _, named = cell.partition(" (")
    assert set(stated.split(" \\| ")) == _types(bundle, node), f"{where}: docs say {cell!r}"
    name = _ref_name(bundle, node)
    assert named.removesuffix(")") == (name or ("open" if named else "")), f"{where}: docs say {cell!r}"


def _rows(text: str) -> Iterator[tuple[str, str, str, str]]:
    """(section, shape, field, type) for every row of every field table of the document."""
    section = shape = ""
    in_table = False
    for line in text.splitlines():
        if line.startswith("## "):
            section, shape = line[3:].strip("`"), ""
        elif line.startswith("### "):
            shape = line[4:]
        elif line.startswith(("| field |", "| payload field |", "| name | JSON type")):
            in_table = True
        elif in_table and line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            yield section, shape, cells[0].strip("`").removesuffix("?"), cells[1]
        elif not line.startswith("|"):
            in_table = False


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return load_schema_set(REPO / "schemas")


@pytest.fixture(scope="module")
def rows(schemas: SchemaSet) -> list[tuple[str, str, str, str]]:
    return list(_rows(render(REPO / "schemas").files[DOCS_FILE].decode()))


def test_every_documented_field_type_is_the_bundled_schemas(
    schemas: SchemaSet, rows: list[tuple[str, str, str, str]]
) -> None:
    envelope = bundle_document(schemas.refs, schemas.envelope.document, schemas.envelope.id)
    common = next(f for f in schemas.files.values() if f.path.endswith("common.schema.json"))
    commons = common.document  # refers to nothing outside itself
    checked: set[tuple[str, str, str]] = set()
    for section, shape, field, cell in rows:
        if section == "Envelope":
            bundle, node = envelope, envelope["properties"][field]
        elif section == "Value types":
            bundle, node = commons, commons["$defs"][field]
            if cell == "string constraint":
                assert _types(bundle, node) is None and {"pattern"} <= set(node), field
                checked.add((section, shape, field))
                continue
        else:
            bundle = schemas.bundle(section)
            payload = bundle["$defs"][str(schemas.payload(section).document["title"])]
            node = (bundle["$defs"][shape] if shape else payload)["properties"][field]
        _check(bundle, node, cell, f"{section} {shape} {field}".replace("  ", " "))
        checked.add((section, shape, field))
    expected = {("Envelope", "", name) for name in schemas.envelope.document["properties"]}
    expected |= {("Value types", "", name) for name in common.document["$defs"]}
    for topic in schemas.topics:
        payload = schemas.payload(topic.name).document
        branches = [b["$ref"].rsplit("/", 1)[1] for b in payload.get("oneOf", [])]
        for shape, node in [(b, payload["$defs"][b]) for b in branches] or [("", payload)]:
            expected |= {(topic.name, shape, name) for name in node["properties"]}
    assert checked == expected, "every field of every contract is documented, and checked"


def test_the_oracle_sees_a_wrong_type() -> None:
    bundle = {"$defs": {"Milliseconds": {"type": "integer"}}}
    with pytest.raises(AssertionError, match="docs say"):
        _check(bundle, {"$ref": "#/$defs/Milliseconds"}, "string (Milliseconds)", "ttl_ms")
    _check(bundle, {"$ref": "#/$defs/Milliseconds"}, "integer (Milliseconds)", "ttl_ms")
