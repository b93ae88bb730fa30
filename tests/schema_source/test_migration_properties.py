"""Every migration maps every valid message of its version to a valid message of the next, and its
downgrade every valid message of the next back: proven with Hypothesis over the bundled schemas.

Covers each migration of schemas/ and of the walkthrough's build (docs/breaking-changes.md), and
migrations derived from generated schemas for each kind of breaking change an operation expresses.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from support.generated import REPO, walkthrough_tree
from support.schema_shapes import payload_shapes, schema_tree

from doran.schema_source.migration import Migration
from doran.schema_source.schema_set import SchemaSet, load_schema_set
from doran.wire.reference import ecma_validator

_WALKTHROUGH = walkthrough_tree(Path(tempfile.mkdtemp(prefix="doran-walkthrough-")))
_SETS = {"schemas/": REPO / "schemas", "walkthrough": _WALKTHROUGH}
_MIGRATIONS = [
    (label, topic, version)
    for label, root in _SETS.items()
    for (topic, version) in load_schema_set(root).migrations
]


def _payload_schema(schemas: SchemaSet, topic: str, version: int) -> dict[str, Any]:
    """The bundled schema of one version's payload alone (migrations map payloads; the envelope's
    fields, whose patterns are slow to draw from, play no part)."""
    bundle = schemas.bundle(topic, version)
    return {"$defs": bundle["$defs"], **bundle["properties"]["payload"]}


def _holds(schemas: SchemaSet, topic: str, version: int, direction: str, examples: int = 40) -> None:
    """Hypothesis: every valid payload of one side, migrated, is valid on the other."""
    migration = schemas.migrations[(topic, version)]
    step: Migration | None = migration.upgrade if direction == "upgrade" else migration.downgrade
    assert step is not None
    source, target = (version, version + 1) if direction == "upgrade" else (version + 1, version)
    validator = ecma_validator(_payload_schema(schemas, topic, target))

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(_payload_schema(schemas, topic, source)))
    def maps(payload: Any) -> None:
        errors = [e.message for e in validator.iter_errors(step.apply(payload))]
        assert not errors, f"{migration.path} {direction}: {json.dumps(payload)} -> {errors}"

    maps()


def test_there_is_a_migration_to_prove() -> None:
    assert any(label == "walkthrough" for label, _, _ in _MIGRATIONS)


@pytest.mark.parametrize(("label", "topic", "version"), _MIGRATIONS, ids=lambda v: str(v))
def test_each_migration_maps_valid_messages_to_valid_messages(label: str, topic: str, version: int) -> None:
    schemas = load_schema_set(_SETS[label])
    _holds(schemas, topic, version, "upgrade")
    if schemas.migrations[(topic, version)].downgrade is not None:
        _holds(schemas, topic, version, "downgrade")


# Breaking changes an operation expresses, applied to one field of a generated closed payload: the
# payload schemas of both versions, and the migration both ways.
Change = tuple[dict[str, Any], dict[str, Any], list[Any], list[Any]]


def _with(payload: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {**payload, "properties": {**payload["properties"], **properties}}


def _rename(first: dict[str, Any], name: str) -> Change:
    second = {
        **first,
        "properties": {("renamed" if k == name else k): v for k, v in first["properties"].items()},
        "required": ["renamed" if k == name else k for k in first.get("required", [])],
    }
    return (
        first,
        second,
        [{"op": "move", "from": f"/{name}", "path": "/renamed"}],
        [{"op": "move", "from": "/renamed", "path": f"/{name}"}],
    )


def _required_added(first: dict[str, Any], _name: str) -> Change:
    second = _with(first, added={"description": "Added, required.", "type": "string", "enum": ["old", "new"]})
    second["required"] = [*first.get("required", []), "added"]
    return (
        first,
        second,
        [{"op": "add", "path": "/added", "value": "old"}],
        [{"op": "remove", "path": "/added"}],
    )


def _to_decimal_text(first: dict[str, Any], name: str) -> Change:
    text = {"description": "Decimal text.", "type": "string", "pattern": "^-?(?:0|[1-9][0-9]*)$"}
    first = _with(first, **{name: {"description": "An integer.", "type": "integer"}})
    return (
        first,
        _with(first, **{name: text}),
        [{"op": "convert", "path": f"/{name}", "to": "string"}],
        [{"op": "convert", "path": f"/{name}", "to": "integer"}],
    )


def _value_renamed(first: dict[str, Any], name: str) -> Change:
    first = _with(first, **{name: {"description": "A kind.", "type": "string", "enum": ["a", "b"]}})
    second = _with(first, **{name: {"description": "A kind.", "type": "string", "enum": ["a", "bee"]}})
    return (
        first,
        second,
        [{"op": "map", "path": f"/{name}", "values": {"b": "bee"}}],
        [{"op": "map", "path": f"/{name}", "values": {"bee": "b"}}],
    )


_CHANGES = {
    "rename": _rename,
    "required": _required_added,
    "decimal": _to_decimal_text,
    "enum": _value_renamed,
}


def _versioned_tree(root: Path, first: dict[str, Any], second: dict[str, Any]) -> Path:
    tree = schema_tree(root, [first])
    second = {**second, "$id": first["$id"].replace(".schema.json", ".v2.schema.json")}
    (tree / "payloads/ShapeT0.v2.schema.json").write_text(json.dumps(second))
    registry = json.loads((tree / "topics.json").read_text())
    topic = next(t for t in registry["topics"] if t["name"] == "shape.t0")
    topic["earlier_versions"] = [
        {"schema_version": 1, "payload_schema": topic["payload_schema"], "migration": "migrations/m.json"}
    ]
    topic |= {"payload_schema": "payloads/ShapeT0.v2.schema.json", "schema_version": 2}
    (tree / "topics.json").write_text(json.dumps(registry))
    return tree


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    shape=payload_shapes("ShapeT0", branches=False), change=st.sampled_from(sorted(_CHANGES)), data=st.data()
)
def test_derived_migrations_map_generated_messages(
    shape: dict[str, Any], change: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(shape["properties"])))
    first, second, upgrade, downgrade = _CHANGES[change](shape, name)
    with tempfile.TemporaryDirectory() as folder:
        tree = _versioned_tree(Path(folder), first, second)
        (tree / "migrations").mkdir()
        migration = {"description": change, "upgrade": upgrade, "downgrade": downgrade}
        (tree / "migrations/m.json").write_text(json.dumps(migration))
        schemas = load_schema_set(tree)
        _holds(schemas, "shape.t0", 1, "upgrade", examples=15)
        _holds(schemas, "shape.t0", 1, "downgrade", examples=15)
