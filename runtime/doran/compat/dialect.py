"""Which JSON Schema draft a document is written in, and what that changes for the gate.

The draft is the root's `$schema`. A document without one is read as 2020-12 (doran's own draft),
except that keywords only earlier drafts define keep their earlier meaning, since 2020-12 gives
them none: an array-valued `items` (a tuple) with `additionalItems`, and `dependencies`. This is
also how Confluent reads such a document (it defaults to draft-07, whose keywords these are).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from referencing import Specification
from referencing.jsonschema import DRAFT201909, DRAFT202012, specification_with

__all__ = ["Dialect", "dialect_of"]

_LEGACY = frozenset({"draft-03", "draft-04", "draft-06", "draft-07"})


@dataclass(frozen=True)
class Dialect:
    """The draft of one schema document, as the walker needs it."""

    name: str
    specification: Specification[Any]
    ref_siblings: bool  # keywords beside a `$ref` apply (2019-09 on); draft-07 and earlier ignore them
    tuple_items: bool  # an array-valued `items` is a tuple and `additionalItems` applies after it
    prefix_items: bool  # `prefixItems` is the tuple and `items` applies after it (2020-12)
    dependencies: bool  # draft-07's `dependencies` (array: dependent required; schema: dependent schema)
    dependent: bool  # 2019-09's `dependentRequired` / `dependentSchemas`
    unevaluated: bool  # `unevaluatedProperties` / `unevaluatedItems` (2019-09 on)


def dialect_of(root: Any) -> Dialect:
    """The dialect a document's `$schema` names (2020-12 with the legacy keywords when it names none)."""
    uri = root.get("$schema") if isinstance(root, Mapping) else None
    if not isinstance(uri, str):
        # references are crawled as 2019-09, which also knows array-valued `items`
        return Dialect("2020-12 (no $schema)", DRAFT201909, True, True, True, True, True, True)
    specification = specification_with(uri, default=DRAFT202012)
    name = specification.name
    legacy = name in _LEGACY
    return Dialect(
        name=name,
        specification=specification,
        ref_siblings=not legacy,
        tuple_items=name != "draft2020-12",
        prefix_items=name == "draft2020-12",
        dependencies=legacy,
        dependent=not legacy,
        unevaluated=not legacy,
    )
