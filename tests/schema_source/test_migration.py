"""Migrations are pure functions built from declarative operations; what they cannot map, they say."""

from __future__ import annotations

from typing import Any

import pytest

from doran.schema_source.migration import Migration, MigrationFailed

PAYLOAD: dict[str, Any] = {"quote_id": "q-1", "ttl_ms": 60000, "status": "done", "nested": {"a": 1}}


def migrate(*operations: dict[str, Any], payload: Any = None) -> Any:
    return Migration.from_json(operations).apply(PAYLOAD if payload is None else payload)


def test_each_operation() -> None:
    assert migrate({"op": "add", "path": "/venue", "value": {"x": [1]}})["venue"] == {"x": [1]}
    assert migrate({"op": "add", "path": "/ttl_ms", "value": 5})["ttl_ms"] == 5
    assert migrate({"op": "default", "path": "/ttl_ms", "value": 5})["ttl_ms"] == 60000
    assert migrate({"op": "default", "path": "/note", "value": "-"})["note"] == "-"
    assert "status" not in migrate({"op": "remove", "path": "/status"})
    moved = migrate({"op": "move", "from": "/ttl_ms", "path": "/deadline_ms"})
    assert "ttl_ms" not in moved and moved["deadline_ms"] == 60000
    copied = migrate({"op": "copy", "from": "/nested", "path": "/nested_copy"})
    assert copied["nested_copy"] == {"a": 1} and copied["nested_copy"] is not copied["nested"]
    assert migrate({"op": "map", "path": "/status", "values": {"done": "filled"}})["status"] == "filled"
    assert migrate({"op": "map", "path": "/status", "values": {"other": "x"}})["status"] == "done"
    assert migrate({"op": "convert", "path": "/ttl_ms", "to": "string"})["ttl_ms"] == "60000"
    assert migrate({"op": "add", "path": "/nested/b", "value": 2})["nested"] == {"a": 1, "b": 2}


def test_an_absent_source_changes_nothing() -> None:
    # Optional fields may be absent: a migration touching one leaves the payload as it was.
    for operation in (
        {"op": "remove", "path": "/absent"},
        {"op": "move", "from": "/absent", "path": "/elsewhere"},
        {"op": "copy", "from": "/absent/deeper", "path": "/elsewhere"},
        {"op": "map", "path": "/absent", "values": {"a": "b"}},
        {"op": "convert", "path": "/absent", "to": "integer"},
    ):
        assert migrate(operation) == PAYLOAD


def test_the_given_payload_is_left_as_it_was() -> None:
    payload = {"nested": {"a": 1}}
    migrate(
        {"op": "add", "path": "/nested/b", "value": 2}, {"op": "remove", "path": "/nested/a"}, payload=payload
    )
    assert payload == {"nested": {"a": 1}}


def test_steps_compose() -> None:
    first = Migration.from_json([{"op": "move", "from": "/ttl_ms", "path": "/t"}])
    second = Migration.from_json([{"op": "convert", "path": "/t", "to": "string"}])
    assert first.then(second).apply(PAYLOAD)["t"] == "60000"


@pytest.mark.parametrize(
    ("operation", "pointer", "message"),
    [
        (
            {"op": "convert", "path": "/status", "to": "integer"},
            "/status",
            "cannot convert 'done' to integer",
        ),
        (
            {"op": "convert", "path": "/nested", "to": "string"},
            "/nested",
            "cannot convert {'a': 1} to string",
        ),
        ({"op": "add", "path": "/missing/x", "value": 1}, "/missing/x", "/missing is not an object"),
        (
            {"op": "move", "from": "/ttl_ms", "path": "/quote_id/x"},
            "/quote_id/x",
            "/quote_id is not an object",
        ),
    ],
)
def test_what_a_migration_cannot_map_it_names(operation: dict[str, Any], pointer: str, message: str) -> None:
    with pytest.raises(MigrationFailed) as caught:
        migrate(operation)
    assert caught.value.pointer == pointer
    assert message in str(caught.value)
    assert operation["op"] in str(caught.value)


def test_null_converts_to_null_and_integers_round_trip() -> None:
    assert migrate({"op": "convert", "path": "/x", "to": "string"}, payload={"x": None}) == {"x": None}
    there = migrate({"op": "convert", "path": "/x", "to": "string"}, payload={"x": -(2**70)})
    back = migrate({"op": "convert", "path": "/x", "to": "integer"}, payload=there)
    assert there == {"x": str(-(2**70))} and back == {"x": -(2**70)}
    with pytest.raises(MigrationFailed):
        migrate({"op": "convert", "path": "/x", "to": "integer"}, payload={"x": "007"})
