"""The schema objects of a document, told apart from the data inside it (enum values, consts, examples)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["schema_nodes"]

_SCHEMA_MAPS = ("properties", "$defs")
_SCHEMA_VALUES = ("items", "additionalProperties")
_SCHEMA_LISTS = ("oneOf", "anyOf", "allOf")


def schema_nodes(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every schema object under node (node first), each with its path from node."""
    if not isinstance(node, dict):
        return
    yield path, node
    for keyword in _SCHEMA_MAPS:
        for name, sub in (node.get(keyword) or {}).items():
            yield from schema_nodes(sub, (*path, keyword, name))
    for keyword in _SCHEMA_VALUES:
        yield from schema_nodes(node.get(keyword), (*path, keyword))
    for keyword in _SCHEMA_LISTS:
        for index, sub in enumerate(node.get(keyword) or []):
            yield from schema_nodes(sub, (*path, keyword, index))
