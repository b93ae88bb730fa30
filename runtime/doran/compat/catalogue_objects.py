"""Rules for changes to objects: properties and content models, `required`, pattern properties.

Content models as Confluent names them: an object is open when any undeclared property may appear
(no `additionalProperties`, or `true`), closed when `additionalProperties: false`, partially open
when `additionalProperties` is a schema or a `patternProperties` entry covers the name
(`unevaluatedProperties` stands in for an absent `additionalProperties`). A property added or
removed is judged by the model of the version that lacks it, as Confluent does. `lenient` gives
Confluent's effect under the LENIENT policy, which accepts more content-model changes.
"""

from __future__ import annotations

from doran.compat.rules import BACKWARD_SAFE, BOTH_BREAK, BOTH_SAFE, FORWARD_SAFE, Rule

__all__ = ["OBJECT_RULES"]

_PARTIAL = "The property's schema is compared with the schema that covered its name; those findings come too."
_DEFAULT = "Confluent trusts the default; validation never fills defaults, so old data lacking it fails."
_PATTERNS = "Confluent's SchemaDiff never compares `patternProperties`; only the truth changes."
_CONSERVATIVE = "Judged breaking both ways: the pattern meets names whose schemas it joins or replaces."


def _cm(backward: str, forward: str) -> tuple[str, str]:
    """Confluent's content-model Difference.Types, written without their common suffix."""
    return f"{backward}_CONTENT_MODEL", f"{forward}_CONTENT_MODEL"


_PROPERTY_RULES: list[Rule] = [
    Rule("OPTIONAL_PROPERTY_ADDED_TO_OPEN_MODEL",
         "An optional property was declared on an object that already admitted any property.",
         FORWARD_SAFE, FORWARD_SAFE, _cm("OPTIONAL_PROPERTY_ADDED_TO_OPEN", "PROPERTY_REMOVED_FROM_OPEN"),
         "Old data may carry the name with any value.", lenient=BOTH_SAFE),
    Rule("REQUIRED_PROPERTY_ADDED_TO_OPEN_MODEL", "A required property was declared on an open object.",
         FORWARD_SAFE, FORWARD_SAFE, _cm("REQUIRED_PROPERTY_ADDED_TO_OPEN", "PROPERTY_REMOVED_FROM_OPEN")),
    Rule("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_MODEL",
         "A required property with a `default` was declared on an open object.",
         FORWARD_SAFE, FORWARD_SAFE,
         _cm("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN", "PROPERTY_REMOVED_FROM_OPEN"), _DEFAULT,
         lenient=BOTH_SAFE),
    Rule("UNCONSTRAINED_PROPERTY_ADDED_TO_OPEN_MODEL",
         "An optional property with an empty schema was declared on an open object.",
         BOTH_SAFE, BOTH_SAFE, _cm("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN", "PROPERTY_REMOVED_FROM_OPEN")),
    Rule("OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL", "An optional property was declared on a closed object.",
         BACKWARD_SAFE, BACKWARD_SAFE,
         _cm("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_FROM_CLOSED"), lenient=BOTH_SAFE),
    Rule("REQUIRED_PROPERTY_ADDED_TO_CLOSED_MODEL", "A required property was declared on a closed object.",
         BOTH_BREAK, BOTH_BREAK, _cm("REQUIRED_PROPERTY_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_FROM_CLOSED"),
         lenient=FORWARD_SAFE),
    Rule("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_CLOSED_MODEL",
         "A required property with a `default` was declared on a closed object.",
         BACKWARD_SAFE, BOTH_BREAK,
         _cm("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN", "PROPERTY_REMOVED_FROM_CLOSED"), _DEFAULT,
         lenient=BOTH_SAFE),
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
         "An optional property was dropped from an object that admits any property.",
         BACKWARD_SAFE, BACKWARD_SAFE, _cm("PROPERTY_REMOVED_FROM_OPEN", "OPTIONAL_PROPERTY_ADDED_TO_OPEN"),
         lenient=BOTH_SAFE),
    Rule("REQUIRED_PROPERTY_REMOVED_FROM_OPEN_MODEL",
         "A required property was dropped from an object that admits any property.",
         BACKWARD_SAFE, BACKWARD_SAFE, _cm("PROPERTY_REMOVED_FROM_OPEN", "REQUIRED_PROPERTY_ADDED_TO_OPEN")),
    Rule("UNCONSTRAINED_PROPERTY_REMOVED_FROM_OPEN_MODEL",
         "An optional property with an empty schema was dropped from an open object.",
         BOTH_SAFE, BOTH_SAFE, _cm("PROPERTY_REMOVED_FROM_OPEN", "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN")),
    Rule("PROPERTY_REMOVED_FROM_CLOSED_MODEL", "An optional property was dropped from a closed object.",
         FORWARD_SAFE, FORWARD_SAFE,
         _cm("PROPERTY_REMOVED_FROM_CLOSED", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN"), lenient=BOTH_SAFE),
    Rule("FALSE_PROPERTY_REMOVED_FROM_CLOSED_MODEL",
         "A property declared `false` (never present) was dropped from a closed object.",
         BOTH_SAFE, BOTH_SAFE,
         _cm("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN")),
    Rule("REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "A required property left a closed object.",
         BOTH_BREAK, BOTH_BREAK, _cm("PROPERTY_REMOVED_FROM_CLOSED", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN"),
         lenient=BACKWARD_SAFE),
    Rule("PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL",
         "An optional property was dropped from a partially open object.",
         BOTH_SAFE, BOTH_SAFE,
         _cm("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN", "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN"),
         _PARTIAL),
    Rule("REQUIRED_PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL",
         "A required property was dropped from a partially open object.",
         BACKWARD_SAFE, BACKWARD_SAFE,
         _cm("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN"), _PARTIAL),
]  # fmt: skip

_REQUIRED_RULES: list[Rule] = [
    Rule("REQUIRED_ADDED", "A property kept in both versions became required.",
         FORWARD_SAFE, FORWARD_SAFE, ("REQUIRED_ATTRIBUTE_ADDED", "REQUIRED_ATTRIBUTE_REMOVED")),
    Rule("REQUIRED_WITH_DEFAULT_ADDED", "A property with a `default` kept in both versions became required.",
         BOTH_SAFE, FORWARD_SAFE, ("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED"),
         _DEFAULT),
    Rule("REQUIRED_REMOVED", "A property kept in both versions is no longer required.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("REQUIRED_ATTRIBUTE_REMOVED", "REQUIRED_ATTRIBUTE_ADDED")),
    Rule("REQUIRED_UNDECLARED_ADDED", "A name that neither version declares in `properties` became required.",
         BOTH_SAFE, FORWARD_SAFE, ("(none)", "(none)"),
         "Confluent compares `required` only for properties both versions declare, so it accepts "
         "`required: [foo]` -> `[bar]`; old data without the name fails."),
    Rule("REQUIRED_UNDECLARED_REMOVED", "A name that neither version declares is no longer required.",
         BOTH_SAFE, BACKWARD_SAFE, ("(none)", "(none)"),
         "Confluent compares `required` only for properties both versions declare; new data may lack it."),
    Rule("ADDITIONAL_PROPERTIES_TIGHTENED", "Undeclared properties were limited (open to schema or closed).",
         FORWARD_SAFE, FORWARD_SAFE,
         ("ADDITIONAL_PROPERTIES_REMOVED|_NARROWED", "ADDITIONAL_PROPERTIES_ADDED|_EXTENDED"),
         "`unevaluatedProperties` counts where `additionalProperties` is absent and nothing else evaluates.",
         lenient=BOTH_SAFE),
    Rule("ADDITIONAL_PROPERTIES_LOOSENED", "Undeclared properties were freed (closed to schema, or open).",
         BACKWARD_SAFE, BACKWARD_SAFE,
         ("ADDITIONAL_PROPERTIES_ADDED|_EXTENDED", "ADDITIONAL_PROPERTIES_REMOVED|_NARROWED"),
         "`unevaluatedProperties` counts where `additionalProperties` is absent and nothing else evaluates.",
         lenient=BOTH_SAFE),
]  # fmt: skip

_PATTERN_RULES: list[Rule] = [
    Rule("PATTERN_PROPERTY_ADDED_TO_OPEN_MODEL", "A `patternProperties` entry was added to an open object.",
         BOTH_SAFE, FORWARD_SAFE, ("(none)", "(none)"), _PATTERNS + " Old data may hold a matching name."),
    Rule("PATTERN_PROPERTY_ADDED_TO_CLOSED_MODEL",
         "A `patternProperties` entry was added to a closed object, matching no property both declare.",
         BOTH_SAFE, BACKWARD_SAFE, ("(none)", "(none)"),
         _PATTERNS + " It admits names the old object forbade."),
    Rule("PATTERN_PROPERTY_ADDED", "A `patternProperties` entry was added to a partially open object, "
         "or matches a property both versions declare.",
         BOTH_SAFE, BOTH_BREAK, ("(none)", "(none)"), _PATTERNS + " " + _CONSERVATIVE),
    Rule("PATTERN_PROPERTY_REMOVED_FROM_OPEN_MODEL", "A `patternProperties` entry left an open object.",
         BOTH_SAFE, BACKWARD_SAFE, ("(none)", "(none)"), _PATTERNS + " New data may hold any value there."),
    Rule("PATTERN_PROPERTY_REMOVED_FROM_CLOSED_MODEL",
         "A `patternProperties` entry left a closed object, matching no property both declare.",
         BOTH_SAFE, FORWARD_SAFE, ("(none)", "(none)"),
         _PATTERNS + " Old data holding a matching name fails now."),
    Rule("PATTERN_PROPERTY_REMOVED", "A `patternProperties` entry left a partially open object, "
         "or matched a property both versions declare.",
         BOTH_SAFE, BOTH_BREAK, ("(none)", "(none)"), _PATTERNS + " " + _CONSERVATIVE),
]  # fmt: skip

OBJECT_RULES: list[Rule] = [*_PROPERTY_RULES, *_REQUIRED_RULES, *_PATTERN_RULES]
