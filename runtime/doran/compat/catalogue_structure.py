"""Rules for changes to structure: object properties and content models, array items, combinators.

Content models as Confluent names them: an object is open when any undeclared property may appear
(no `additionalProperties`, or `true`), closed when `additionalProperties: false`, partially open
when `additionalProperties` is a schema or a `patternProperties` entry covers the name. A property
added or removed is judged by the model of the version that lacks it, as Confluent does.
"""

from __future__ import annotations

from doran.compat.rules import BACKWARD_SAFE, BOTH_BREAK, BOTH_SAFE, FORWARD_SAFE, Rule

__all__ = ["STRUCTURE_RULES"]

_PARTIAL = "The property's schema is compared with the schema that covered its name; those findings come too."
_DEFAULT = "Confluent trusts the default; validation never fills defaults, so old data lacking it fails."
_DISJOINT = (
    "Branches are disjoint when their types, allowed values, or a required property's schemas cannot "
    "overlap; anything else counts as overlapping."
)
_SYNTHETIC = "Everit wraps the schema in a synthetic allOf, so Confluent sees a type change both ways."


def _cm(backward: str, forward: str) -> tuple[str, str]:
    """Confluent's content-model Difference.Types, written without their common suffix."""
    return f"{backward}_CONTENT_MODEL", f"{forward}_CONTENT_MODEL"


_OBJECT_RULES: list[Rule] = [
    Rule("PROPERTY_ADDED_TO_OPEN_MODEL",
         "A property was declared on an object that already admitted any property.",
         FORWARD_SAFE, FORWARD_SAFE, _cm("PROPERTY_ADDED_TO_OPEN", "PROPERTY_REMOVED_FROM_OPEN"),
         "Old data may carry the name with any value; a required addition breaks backward the same way."),
    Rule("UNCONSTRAINED_PROPERTY_ADDED_TO_OPEN_MODEL",
         "An optional property with an empty schema was declared on an open object.",
         BOTH_SAFE, BOTH_SAFE, _cm("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN", "PROPERTY_REMOVED_FROM_OPEN")),
    Rule("OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL", "An optional property was declared on a closed object.",
         BACKWARD_SAFE, BACKWARD_SAFE,
         _cm("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_FROM_CLOSED")),
    Rule("REQUIRED_PROPERTY_ADDED_TO_CLOSED_MODEL", "A required property was declared on a closed object.",
         BOTH_BREAK, BOTH_BREAK, _cm("REQUIRED_PROPERTY_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_FROM_CLOSED")),
    Rule("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_CLOSED_MODEL",
         "A required property with a `default` was declared on a closed object.",
         BACKWARD_SAFE, BOTH_BREAK,
         _cm("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_FROM_CLOSED"), _DEFAULT),
    Rule("PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL",
         "An optional property was declared on a partially open object.",
         BOTH_SAFE, BOTH_SAFE,
         _cm("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN", "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN"),
         _PARTIAL),
    Rule("REQUIRED_PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL",
         "A required property was declared on a partially open object.",
         FORWARD_SAFE, FORWARD_SAFE,
         _cm("REQUIRED_PROPERTY_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN"), _PARTIAL),
    Rule("PROPERTY_REMOVED_FROM_OPEN_MODEL",
         "A declared property was dropped from an object that admits any property.",
         BACKWARD_SAFE, BACKWARD_SAFE, _cm("PROPERTY_REMOVED_FROM_OPEN", "PROPERTY_ADDED_TO_OPEN")),
    Rule("UNCONSTRAINED_PROPERTY_REMOVED_FROM_OPEN_MODEL",
         "An optional property with an empty schema was dropped from an open object.",
         BOTH_SAFE, BOTH_SAFE, _cm("PROPERTY_REMOVED_FROM_OPEN", "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN")),
    Rule("PROPERTY_REMOVED_FROM_CLOSED_MODEL", "An optional property was dropped from a closed object.",
         FORWARD_SAFE, FORWARD_SAFE,
         _cm("PROPERTY_REMOVED_FROM_CLOSED", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN")),
    Rule("REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "A required property left a closed object.",
         BOTH_BREAK, BOTH_BREAK, _cm("PROPERTY_REMOVED_FROM_CLOSED", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN")),
    Rule("PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL",
         "An optional property was dropped from a partially open object.",
         BOTH_SAFE, BOTH_SAFE,
         _cm("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN", "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN"),
         _PARTIAL),
    Rule("REQUIRED_PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL",
         "A required property was dropped from a partially open object.",
         BACKWARD_SAFE, BACKWARD_SAFE,
         _cm("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN"), _PARTIAL),
    Rule("REQUIRED_ADDED", "A property kept in both versions became required.",
         FORWARD_SAFE, FORWARD_SAFE, ("REQUIRED_ATTRIBUTE_ADDED", "REQUIRED_ATTRIBUTE_REMOVED")),
    Rule("REQUIRED_WITH_DEFAULT_ADDED", "A property with a `default` kept in both versions became required.",
         BOTH_SAFE, FORWARD_SAFE, ("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED"),
         _DEFAULT),
    Rule("REQUIRED_REMOVED", "A property kept in both versions is no longer required.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("REQUIRED_ATTRIBUTE_REMOVED", "REQUIRED_ATTRIBUTE_ADDED")),
    Rule("ADDITIONAL_PROPERTIES_TIGHTENED", "Undeclared properties were limited (open to schema or closed).",
         FORWARD_SAFE, FORWARD_SAFE,
         ("ADDITIONAL_PROPERTIES_REMOVED|_NARROWED", "ADDITIONAL_PROPERTIES_ADDED|_EXTENDED")),
    Rule("ADDITIONAL_PROPERTIES_LOOSENED", "Undeclared properties were freed (closed to schema, or open).",
         BACKWARD_SAFE, BACKWARD_SAFE,
         ("ADDITIONAL_PROPERTIES_ADDED|_EXTENDED", "ADDITIONAL_PROPERTIES_REMOVED|_NARROWED")),
]  # fmt: skip

_ARRAY_RULES: list[Rule] = [
    Rule("ITEMS_ADDED", "`items` was added, constraining every element of an array.",
         FORWARD_SAFE, FORWARD_SAFE, ("SCHEMA_ADDED", "SCHEMA_REMOVED")),
    Rule("ITEMS_REMOVED", "`items` was removed, freeing every element of an array.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("SCHEMA_REMOVED", "SCHEMA_ADDED")),
]  # fmt: skip

_COMBINATOR_RULES: list[Rule] = [
    Rule("ANY_OF_BRANCH_ADDED", "An `anyOf` gained a branch.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("SUM_TYPE_EXTENDED", "SUM_TYPE_NARROWED")),
    Rule("ANY_OF_BRANCH_REMOVED", "An `anyOf` lost a branch.",
         FORWARD_SAFE, FORWARD_SAFE, ("SUM_TYPE_NARROWED", "SUM_TYPE_EXTENDED")),
    Rule("ONE_OF_BRANCH_ADDED", "A `oneOf` gained a branch disjoint from the others.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("SUM_TYPE_EXTENDED", "SUM_TYPE_NARROWED"), _DISJOINT),
    Rule("ONE_OF_OVERLAPPING_BRANCH_ADDED", "A `oneOf` gained a branch that may overlap another.",
         BACKWARD_SAFE, BOTH_BREAK, ("SUM_TYPE_EXTENDED", "SUM_TYPE_NARROWED"),
         "Confluent accepts it; an old value matching both branches now fails `oneOf`. " + _DISJOINT),
    Rule("ONE_OF_BRANCH_REMOVED", "A `oneOf` lost a branch disjoint from the others.",
         FORWARD_SAFE, FORWARD_SAFE, ("SUM_TYPE_NARROWED", "SUM_TYPE_EXTENDED"), _DISJOINT),
    Rule("ONE_OF_OVERLAPPING_BRANCH_REMOVED", "A `oneOf` lost a branch that may overlap another.",
         FORWARD_SAFE, BOTH_BREAK, ("SUM_TYPE_NARROWED", "SUM_TYPE_EXTENDED"),
         "A new value matching a kept branch and the dropped one fails the old `oneOf`. " + _DISJOINT),
    Rule("ALL_OF_MEMBER_ADDED", "An `allOf` gained a member.",
         FORWARD_SAFE, FORWARD_SAFE, ("PRODUCT_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED")),
    Rule("ALL_OF_MEMBER_REMOVED", "An `allOf` lost a member.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("PRODUCT_TYPE_NARROWED", "PRODUCT_TYPE_EXTENDED")),
    Rule("COMBINATOR_RELAXED", "`oneOf` or `allOf` became `anyOf`.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("COMBINED_TYPE_EXTENDED", "COMBINED_TYPE_CHANGED")),
    Rule("COMBINATOR_TIGHTENED", "`anyOf` became `oneOf` or `allOf`.",
         FORWARD_SAFE, FORWARD_SAFE, ("COMBINED_TYPE_CHANGED", "COMBINED_TYPE_EXTENDED")),
    Rule("ONE_OF_RESPELLED_AS_ANY_OF", "`oneOf` over pairwise disjoint branches became `anyOf`: same values.",
         BACKWARD_SAFE, BOTH_SAFE, ("COMBINED_TYPE_EXTENDED", "COMBINED_TYPE_CHANGED"), _DISJOINT),
    Rule("ANY_OF_RESPELLED_AS_ONE_OF", "`anyOf` over pairwise disjoint branches became `oneOf`: same values.",
         FORWARD_SAFE, BOTH_SAFE, ("COMBINED_TYPE_CHANGED", "COMBINED_TYPE_EXTENDED"), _DISJOINT),
    Rule("COMBINATOR_CHANGED", "`oneOf` became `allOf` or the reverse.",
         BOTH_BREAK, BOTH_BREAK, ("COMBINED_TYPE_CHANGED", "COMBINED_TYPE_CHANGED")),
    Rule("COMBINATOR_ADDED", "An `allOf`/`anyOf`/`oneOf` was added next to other keywords (a narrowing).",
         BOTH_BREAK, FORWARD_SAFE, ("TYPE_CHANGED", "TYPE_CHANGED"), _SYNTHETIC),
    Rule("COMBINATOR_REMOVED", "An `allOf`/`anyOf`/`oneOf` next to other keywords was removed (a widening).",
         BOTH_BREAK, BACKWARD_SAFE, ("TYPE_CHANGED", "TYPE_CHANGED"), _SYNTHETIC),
    Rule("KEYWORD_CHANGED", "A keyword the gate does not model (not, if/then/else, prefixItems...) changed.",
         BOTH_BREAK, BOTH_BREAK, ("(depends)", "(depends)"),
         "Judged conservatively as breaking both ways; review the change by hand."),
]  # fmt: skip

STRUCTURE_RULES: list[Rule] = [*_OBJECT_RULES, *_ARRAY_RULES, *_COMBINATOR_RULES]
