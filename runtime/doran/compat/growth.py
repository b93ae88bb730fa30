"""Room to grow: whether a topic can gain an optional field without a new major version.

The gate decides, not a table typed by hand: `can_grow` adds one optional property to every object
at the root of a topic's payload (each branch of a oneOf) and asks `compare` whether that breaks
the topic's compatibility mode under its policy. A topic that cannot grow needs a new major version
with migrations for any change at all; the schema lint asks that this be a decision written down
(`frozen` in topics.json), not an accident of mode and content model. `growth_table` states the
same verdicts for every mode and content model, for the documentation.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from doran.compat.report import CompatReport, compare

__all__ = ["CONTENT_MODELS", "PROBE_PROPERTY", "GrowthRow", "can_grow", "growth_table"]

PROBE_PROPERTY = "x_room_to_grow_probe"  # a name no contract uses
CONTENT_MODELS: Mapping[str, dict[str, Any]] = {
    "closed": {"additionalProperties": False},
    "partially open": {"additionalProperties": {"type": "string"}},
    "open": {},
}
_TABLE_MODES = ("BACKWARD", "FORWARD", "FULL", "NONE")  # *_TRANSITIVE judge each step alike


def _local(bundle: Mapping[str, Any], node: Any) -> Any:
    """node, or the definition its bundle-local `$ref` names (bundles refer to `#/$defs/<Name>`)."""
    while (
        isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/")
    ):
        node = bundle["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _payload_objects(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    payload = _local(bundle, bundle["properties"]["payload"])
    for branch in payload.get("oneOf", [payload]):
        target = _local(bundle, branch)
        if isinstance(target, dict) and "properties" in target:
            yield target


def _probe(extra: Any) -> dict[str, Any]:
    """The added property: one the object's own additional-properties schema covers, when it has one."""
    if isinstance(extra, dict) and extra:
        return {"description": "A probe: may a field like this be added?", **extra}
    return {"description": "A probe: may a field like this be added?", "type": "string"}


def can_grow(bundle: dict[str, Any], mode: str, policy: str = "STRICT") -> CompatReport:
    """The gate's report on adding one optional field to the payload of a topic's bundled schema:
    `.breaking` False means the topic has room to grow."""
    grown = copy.deepcopy(bundle)
    for target in _payload_objects(grown):
        target["properties"][PROBE_PROPERTY] = _probe(target.get("additionalProperties"))
    return compare(bundle, grown, mode, policy=policy)


@dataclass(frozen=True)
class GrowthRow:
    """What a mode lets an object of each content model do without a new major version."""

    mode: str
    changes: Mapping[str, str]  # content model -> "add and remove optional fields", ...


def _allowed(mode: str, policy: str, content: dict[str, Any]) -> str:
    field = {"description": "An optional field.", "type": "string"}
    schema = {"type": "object", "properties": {"kept": field, "dropped": field}, **content}
    added = {**schema, "properties": {**schema["properties"], "added": field}}
    removed = {**schema, "properties": {"kept": field}}
    can_add = not compare(schema, added, mode, policy=policy).breaking
    can_remove = not compare(schema, removed, mode, policy=policy).breaking
    if can_add and can_remove:
        return "add and remove optional fields"
    return "add optional fields" if can_add else "remove optional fields" if can_remove else "nothing"


def growth_table(policy: str = "STRICT") -> list[GrowthRow]:
    """For each mode, the changes each content model allows, as the gate judges them."""
    return [
        GrowthRow(mode, {name: _allowed(mode, policy, content) for name, content in CONTENT_MODELS.items()})
        for mode in _TABLE_MODES
    ]
