"""Room to grow: the gate says which topics can gain an optional field, and which mode and content
model combinations allow what."""

from __future__ import annotations

from typing import Any

import pytest

from doran.compat.growth import PROBE_PROPERTY, can_grow, growth_table
from doran.contracts import TOPICS, bundled_schema


def _topic(payload_extra: dict[str, Any]) -> dict[str, Any]:
    payload = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], **payload_extra}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"payload": {"$ref": "#/$defs/P"}},
        "$defs": {"P": payload},
    }


@pytest.mark.parametrize(
    ("mode", "content", "grows"),
    [
        ("BACKWARD", {"additionalProperties": False}, True),
        ("BACKWARD_TRANSITIVE", {"additionalProperties": False}, True),
        ("FORWARD", {"additionalProperties": False}, False),
        ("FULL", {"additionalProperties": False}, False),
        ("FULL", {}, False),
        ("FULL", {"additionalProperties": {"type": "integer"}}, True),
        ("FORWARD", {}, True),
        ("NONE", {"additionalProperties": False}, True),
    ],
)
def test_a_topic_grows_when_its_mode_takes_a_new_optional_field(
    mode: str, content: dict[str, Any], grows: bool
) -> None:
    report = can_grow(_topic(content), mode)
    assert report.breaking is not grows
    assert all(f.rule_id.startswith("OPTIONAL_PROPERTY_ADDED") for f in report.findings if f.breaking)


def test_every_branch_of_a_one_of_payload_gets_the_probe() -> None:
    schema = _topic({})
    schema["$defs"]["P"] = {"oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]}
    schema["$defs"] |= {
        "A": {"type": "object", "additionalProperties": False, "properties": {"a": {"const": 1}}},
        "B": {"type": "object", "additionalProperties": False, "properties": {"b": {"const": 2}}},
    }
    findings = can_grow(schema, "FULL").findings
    assert [f.rule_id for f in findings] == ["OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL"] * 2
    assert all(PROBE_PROPERTY in f.message for f in findings)


def test_the_repository_topics_that_cannot_grow_say_why() -> None:
    for spec in TOPICS.values():
        grows = not can_grow(
            bundled_schema(spec.name), spec.compatibility, spec.compatibility_policy
        ).breaking
        assert grows is (spec.frozen is None), spec.name
    assert TOPICS["norm.swap_demand"].frozen


def test_the_growth_table_is_the_gates_verdicts() -> None:
    rows = {row.mode: row.changes for row in growth_table()}
    assert rows["FULL"] == {
        "closed": "nothing",
        "partially open": "add and remove optional fields",
        "open": "nothing",
    }
    assert rows["BACKWARD"]["closed"] == "add optional fields"
    assert rows["FORWARD"]["closed"] == "remove optional fields"
