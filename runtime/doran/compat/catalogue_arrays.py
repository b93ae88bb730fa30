"""Rules for changes to arrays: the schema of the elements, tuple positions, and `contains`.

A tuple position added or removed is judged by the rest schema (draft-07 `additionalItems`, 2020-12
`items` after `prefixItems`) of the version that lacks it: open, closed (`false`) or partially open
(a schema), as Confluent's ArraySchemaDiff does.
"""

from __future__ import annotations

from doran.compat.rules import BACKWARD_SAFE, BOTH_SAFE, FORWARD_SAFE, Rule

__all__ = ["ARRAY_RULES"]

_PARTIAL = "The position's schema is compared with the rest schema that covered it; those findings come too."
_COVERED = ("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN", "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN")
_CONTAINS = (
    "Confluent reads `minContains` (1 unless given) beside `contains` in 2020-12, but never compares the "
    "`contains` schema itself."
)


def _cm(backward: str, forward: str) -> tuple[str, str]:
    return f"{backward}_CONTENT_MODEL", f"{forward}_CONTENT_MODEL"


_ITEM_RULES: list[Rule] = [
    Rule("ITEMS_ADDED", "`items` (or the rest schema after a tuple) was added, constraining elements.",
         FORWARD_SAFE, FORWARD_SAFE, ("SCHEMA_ADDED|ADDITIONAL_ITEMS_NARROWED", "SCHEMA_REMOVED")),
    Rule("ITEMS_REMOVED", "`items` (or the rest schema after a tuple) was removed, freeing elements.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("SCHEMA_REMOVED|ADDITIONAL_ITEMS_EXTENDED", "SCHEMA_ADDED")),
    Rule("TUPLE_ITEM_ADDED_TO_OPEN_MODEL", "A tuple position was added to an array open after its tuple.",
         FORWARD_SAFE, FORWARD_SAFE, _cm("ITEM_ADDED_TO_OPEN", "ITEM_REMOVED_FROM_OPEN")),
    Rule("UNCONSTRAINED_TUPLE_ITEM_ADDED_TO_OPEN_MODEL",
         "A tuple position with an empty schema was added to an array open after its tuple.",
         BOTH_SAFE, BOTH_SAFE, _cm("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN", "ITEM_REMOVED_FROM_OPEN")),
    Rule("TUPLE_ITEM_ADDED_TO_CLOSED_MODEL", "A tuple position was added to an array closed after its tuple.",
         BACKWARD_SAFE, BACKWARD_SAFE, _cm("ITEM_ADDED_TO_CLOSED", "ITEM_REMOVED_FROM_CLOSED")),
    Rule("TUPLE_ITEM_ADDED_TO_PARTIALLY_OPEN_MODEL",
         "A tuple position was added where a rest schema constrained the elements.",
         BOTH_SAFE, BOTH_SAFE,
         _cm(*_COVERED), _PARTIAL),
    Rule("TUPLE_ITEM_REMOVED_FROM_OPEN_MODEL", "A tuple position was removed from an array open after it.",
         BACKWARD_SAFE, BACKWARD_SAFE, _cm("ITEM_REMOVED_FROM_OPEN", "ITEM_ADDED_TO_OPEN")),
    Rule("UNCONSTRAINED_TUPLE_ITEM_REMOVED_FROM_OPEN_MODEL",
         "A tuple position with an empty schema was removed from an array open after it.",
         BOTH_SAFE, BOTH_SAFE, _cm("ITEM_REMOVED_FROM_OPEN", "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN")),
    Rule("TUPLE_ITEM_REMOVED_FROM_CLOSED_MODEL", "A tuple position was removed from a closed array.",
         FORWARD_SAFE, FORWARD_SAFE, _cm("ITEM_REMOVED_FROM_CLOSED", "ITEM_ADDED_TO_CLOSED")),
    Rule("FALSE_TUPLE_ITEM_REMOVED_FROM_CLOSED_MODEL",
         "A tuple position declared `false` (never present) was removed from a closed array.",
         BOTH_SAFE, BOTH_SAFE, _cm("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED", "ITEM_ADDED_TO_CLOSED")),
    Rule("TUPLE_ITEM_REMOVED_FROM_PARTIALLY_OPEN_MODEL",
         "A tuple position was removed where a rest schema constrains the elements.",
         BOTH_SAFE, BOTH_SAFE,
         _cm(*reversed(_COVERED)), _PARTIAL),
]  # fmt: skip

_CONTAINS_RULES: list[Rule] = [
    Rule("CONTAINS_ADDED", "`contains` was added: some element must match it.",
         FORWARD_SAFE, FORWARD_SAFE, ("MIN_CONTAINS_ADDED", "MIN_CONTAINS_REMOVED"), _CONTAINS),
    Rule("CONTAINS_REMOVED", "`contains` was removed: no element needs to match it.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("MIN_CONTAINS_REMOVED", "MIN_CONTAINS_ADDED"), _CONTAINS),
    Rule("MIN_CONTAINS_TIGHTENED", "`minContains` rose: more elements must match `contains`.",
         FORWARD_SAFE, FORWARD_SAFE, ("MIN_CONTAINS_INCREASED", "MIN_CONTAINS_DECREASED")),
    Rule("MIN_CONTAINS_LOOSENED", "`minContains` fell (absent counts as 1).",
         BACKWARD_SAFE, BACKWARD_SAFE, ("MIN_CONTAINS_DECREASED", "MIN_CONTAINS_INCREASED")),
    Rule("MAX_CONTAINS_ADDED", "`maxContains` was added, capping the elements matching `contains`.",
         FORWARD_SAFE, FORWARD_SAFE, ("MAX_CONTAINS_ADDED", "MAX_CONTAINS_REMOVED")),
    Rule("MAX_CONTAINS_REMOVED", "`maxContains` was removed.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("MAX_CONTAINS_REMOVED", "MAX_CONTAINS_ADDED")),
    Rule("MAX_CONTAINS_TIGHTENED", "`maxContains` fell.",
         FORWARD_SAFE, FORWARD_SAFE, ("MAX_CONTAINS_DECREASED", "MAX_CONTAINS_INCREASED")),
    Rule("MAX_CONTAINS_LOOSENED", "`maxContains` rose.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("MAX_CONTAINS_INCREASED", "MAX_CONTAINS_DECREASED")),
]  # fmt: skip

ARRAY_RULES: list[Rule] = [*_ITEM_RULES, *_CONTAINS_RULES]
