"""Migrations between two versions of a topic's payload: declarative mappings, applied as pure functions.

A migration file (schemas/migrations/, shaped by migration.schema.json) holds an `upgrade` (version
N -> N+1) and, where the topic's compatibility mode asks for it, a `downgrade` (N+1 -> N). Each is
a list of operations on the payload, in the spirit of JSON Patch (RFC 6902), paths being JSON
Pointers into the payload:

    {"op": "add", "path": "/x", "value": V}                 set /x to V (whatever was there)
    {"op": "default", "path": "/x", "value": V}             set /x to V where it is absent
    {"op": "remove", "path": "/x"}                          drop /x
    {"op": "move", "from": "/a", "path": "/b"}              rename /a to /b
    {"op": "copy", "from": "/a", "path": "/b"}              copy /a to /b
    {"op": "map", "path": "/x", "values": {"old": "new"}}   replace the listed string values of /x
    {"op": "convert", "path": "/x", "to": "string"}         an integer to its base-10 string ("integer":
                                                             the reverse); null stays null

Unlike JSON Patch, an operation whose source member is absent does nothing: an optional field may
be. A destination whose parent object is missing, a value `convert` cannot convert: those raise
MigrationFailed, naming the operation and the pointer, and the message becomes a dead letter.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from doran.errors import ContractError
from doran.json_pointer import parse

__all__ = ["OPERATIONS", "Migration", "MigrationFailed", "Operation"]

OPERATIONS = ("add", "default", "remove", "move", "copy", "map", "convert")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


class MigrationFailed(ContractError):
    """A migration cannot map this payload: which operation, where, and why."""

    def __init__(self, pointer: str, message: str) -> None:
        self.pointer = pointer
        self.message = message
        super().__init__(f"{pointer or '(payload)'}: {message}")


@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    """One step of a migration; `source` is the `from` of move and copy. Compared by identity: its
    values may be JSON objects, which do not hash."""

    op: str
    path: str
    source: str | None = None
    value: Any = None
    values: Mapping[str, Any] | None = None
    to: str | None = None

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Operation:
        return cls(
            op=document["op"],
            path=document["path"],
            source=document.get("from"),
            value=document.get("value"),
            values=document.get("values"),
            to=document.get("to"),
        )

    def as_json(self) -> dict[str, Any]:
        """The operation as a migration file writes it."""
        written = {"op": self.op, "from": self.source, "path": self.path, "value": self.value}
        written |= {"values": self.values, "to": self.to}
        return {
            k: v
            for k, v in written.items()
            if v is not None or (k == "value" and self.op in ("add", "default"))
        }

    def describe(self) -> str:
        """The operation in a few words, for errors and docs."""
        if self.op in ("move", "copy"):
            return f"{self.op} {self.source} to {self.path}"
        if self.op in ("add", "default"):
            return f"{self.op} {self.path} = {self.value!r}"
        if self.op == "convert":
            return f"convert {self.path} to {self.to}"
        return f"{self.op} {self.path}"


def _parent(payload: Any, pointer: str, create: bool) -> tuple[dict[str, Any] | None, str]:
    """The object holding the member `pointer` names, and the member's name; None when it is absent
    (MigrationFailed instead when `create`: a value must go there)."""
    tokens = parse(pointer)
    node = payload
    for depth, token in enumerate(tokens[:-1]):
        child = node.get(token) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            if create:
                where = "/" + "/".join(tokens[: depth + 1])
                raise MigrationFailed(pointer, f"cannot set {pointer}: {where} is not an object")
            return None, tokens[-1]
        node = child
    if not isinstance(node, dict):
        if create:
            raise MigrationFailed(pointer, f"cannot set {pointer}: the payload is not an object")
        return None, tokens[-1]
    return node, tokens[-1]


def _convert(value: Any, to: str, pointer: str) -> Any:
    if value is None:
        return None
    if to == "string" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if to == "integer" and isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    if to == "string" and isinstance(value, str):
        return value
    if to == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    raise MigrationFailed(pointer, f"cannot convert {value!r} to {to}")


def _apply(operation: Operation, payload: Any) -> None:
    op, path = operation.op, operation.path
    if op in ("add", "default"):
        parent, name = _parent(payload, path, create=True)
        assert parent is not None
        if op == "add" or name not in parent:
            parent[name] = copy.deepcopy(operation.value)
    elif op == "remove":
        parent, name = _parent(payload, path, create=False)
        if parent is not None:
            parent.pop(name, None)
    elif op in ("move", "copy"):
        source, name = _parent(payload, str(operation.source), create=False)
        if source is None or name not in source:
            return
        value = source.pop(name) if op == "move" else copy.deepcopy(source[name])
        target, target_name = _parent(payload, path, create=True)
        assert target is not None
        target[target_name] = value
    elif op in ("map", "convert"):
        parent, name = _parent(payload, path, create=False)
        if parent is None or name not in parent:
            return
        if op == "map":
            current = parent[name]
            if isinstance(current, str) and operation.values is not None and current in operation.values:
                parent[name] = operation.values[current]
        else:
            parent[name] = _convert(parent[name], str(operation.to), path)


@dataclass(frozen=True, slots=True)
class Migration:
    """A pure function from one version's payload to another's: its operations, in order."""

    operations: tuple[Operation, ...]

    @classmethod
    def from_json(cls, operations: Sequence[Mapping[str, Any]]) -> Migration:
        return cls(tuple(Operation.from_json(o) for o in operations))

    def then(self, other: Migration) -> Migration:
        """This migration followed by `other` (v1 -> v2 then v2 -> v3 is v1 -> v3)."""
        return Migration(self.operations + other.operations)

    def apply(self, payload: Any) -> Any:
        """The migrated payload; the one given is left as it was. MigrationFailed when it cannot."""
        migrated = copy.deepcopy(payload)
        for operation in self.operations:
            try:
                _apply(operation, migrated)
            except MigrationFailed as exc:
                raise MigrationFailed(exc.pointer, f"{operation.describe()}: {exc.message}") from None
        return migrated
