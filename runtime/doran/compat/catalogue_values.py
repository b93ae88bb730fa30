"""Rules for changes to what one value may be: type, allowed values, bounds, pattern, multipleOf.

Confluent's verdicts follow io.confluent.kafka.schemaregistry.json.diff (SchemaDiff.COMPATIBLE_CHANGES)
over Everit's schema model: a schema holding keywords of two kinds (e.g. `type` and `enum`) is a
synthetic allOf there, so adding `enum`/`const` next to a `type` is a TYPE_CHANGED for the backward
check, and dropping it a PRODUCT_TYPE_NARROWED (accepted).
"""

from __future__ import annotations

from doran.compat.rules import BACKWARD_SAFE, BOTH_BREAK, BOTH_SAFE, FORWARD_SAFE, Rule

__all__ = ["BOUND_KEYWORDS", "VALUE_RULES", "bound_rule_id"]

# keyword -> (RULE_PREFIX, Confluent's prefix, "lower" or "upper")
BOUND_KEYWORDS: dict[str, tuple[str, str, str]] = {
    "minLength": ("MIN_LENGTH", "MIN_LENGTH", "lower"),
    "maxLength": ("MAX_LENGTH", "MAX_LENGTH", "upper"),
    "minimum": ("MINIMUM", "MINIMUM", "lower"),
    "maximum": ("MAXIMUM", "MAXIMUM", "upper"),
    "exclusiveMinimum": ("EXCLUSIVE_MINIMUM", "EXCLUSIVE_MINIMUM", "lower"),
    "exclusiveMaximum": ("EXCLUSIVE_MAXIMUM", "EXCLUSIVE_MAXIMUM", "upper"),
    "minItems": ("MIN_ITEMS", "MIN_ITEMS", "lower"),
    "maxItems": ("MAX_ITEMS", "MAX_ITEMS", "upper"),
    "minProperties": ("MIN_PROPERTIES", "MIN_PROPERTIES", "lower"),
    "maxProperties": ("MAX_PROPERTIES", "MAX_PROPERTIES", "upper"),
}

_EVERIT_SYNTHETIC = (
    "Everit models a schema with `type` and `enum`/`const` as a synthetic allOf[type, enum]: adding the "
    "enum is a TYPE_CHANGED for Confluent, dropping it a PRODUCT_TYPE_NARROWED, which it accepts."
)


def bound_rule_id(keyword: str, change: str) -> str:
    """Rule ID of a bound keyword's change: ADDED, REMOVED, TIGHTENED or LOOSENED."""
    return f"{BOUND_KEYWORDS[keyword][0]}_{change}"


def _bound_rules() -> list[Rule]:
    rules: list[Rule] = []
    for keyword, (prefix, cprefix, side) in BOUND_KEYWORDS.items():
        tighter, looser = ("INCREASED", "DECREASED") if side == "lower" else ("DECREASED", "INCREASED")
        note = ""
        if keyword == "exclusiveMaximum":
            note = (
                "Confluent's NumberSchemaDiff compares a lowered exclusiveMaximum with the new `maximum`; "
                "without a `maximum` its check fails with an error instead of a verdict."
            )
        rules += [
            Rule(f"{prefix}_ADDED", f"`{keyword}` was added, bounding a value that was unbounded.",
                 FORWARD_SAFE, FORWARD_SAFE, (f"{cprefix}_ADDED", f"{cprefix}_REMOVED"), note),
            Rule(f"{prefix}_REMOVED", f"`{keyword}` was removed, unbounding the value.",
                 BACKWARD_SAFE, BACKWARD_SAFE, (f"{cprefix}_REMOVED", f"{cprefix}_ADDED"), note),
            Rule(f"{prefix}_TIGHTENED", f"`{keyword}` moved so fewer values pass.",
                 FORWARD_SAFE, FORWARD_SAFE, (f"{cprefix}_{tighter}", f"{cprefix}_{looser}"), note),
            Rule(f"{prefix}_LOOSENED", f"`{keyword}` moved so more values pass.",
                 BACKWARD_SAFE, BACKWARD_SAFE, (f"{cprefix}_{looser}", f"{cprefix}_{tighter}"), note),
        ]  # fmt: skip
    return rules


VALUE_RULES: list[Rule] = [
    Rule("TYPE_WIDENED", "The JSON types a value may have grew (integer to number, null allowed, no `type`).",
         BACKWARD_SAFE, BACKWARD_SAFE, ("TYPE_EXTENDED|SUM_TYPE_EXTENDED", "TYPE_NARROWED|TYPE_CHANGED")),
    Rule("TYPE_NARROWED", "The JSON types a value may have shrank (number to integer, null forbidden).",
         FORWARD_SAFE, FORWARD_SAFE, ("TYPE_NARROWED|TYPE_CHANGED", "TYPE_EXTENDED|SUM_TYPE_EXTENDED")),
    Rule("TYPE_CHANGED", "The JSON types changed so that neither set holds the other.",
         BOTH_BREAK, BOTH_BREAK, ("TYPE_CHANGED", "TYPE_CHANGED")),
    Rule("CONNECT_BYTES_TYPE_CHANGED",
         'The JSON types changed (neither holding the other) where both say "connect.type": "bytes".',
         BOTH_SAFE, BOTH_BREAK, ("(none)", "(none)"),
         "Confluent exempts Kafka Connect's bytes (decimal) fields from its type check so the JSON converter "
         "could change their encoding; the values themselves no longer validate."),
    Rule("ENUM_EXTENDED", "`enum` gained values and lost none.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("ENUM_ARRAY_EXTENDED", "ENUM_ARRAY_NARROWED")),
    Rule("ENUM_NARROWED", "`enum` lost values and gained none.",
         FORWARD_SAFE, FORWARD_SAFE, ("ENUM_ARRAY_NARROWED", "ENUM_ARRAY_EXTENDED")),
    Rule("ENUM_CHANGED", "`enum` both gained and lost values.",
         BOTH_BREAK, BOTH_BREAK, ("ENUM_ARRAY_CHANGED", "ENUM_ARRAY_CHANGED")),
    Rule("ENUM_ADDED", "`enum` was added, restricting the value to a list.",
         FORWARD_SAFE, FORWARD_SAFE, ("TYPE_CHANGED", "PRODUCT_TYPE_NARROWED"), _EVERIT_SYNTHETIC),
    Rule("ENUM_REMOVED", "`enum` was removed, freeing the value.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("PRODUCT_TYPE_NARROWED", "TYPE_CHANGED"), _EVERIT_SYNTHETIC),
    Rule("CONST_CHANGED", "`const` now holds another value.",
         BOTH_BREAK, BOTH_BREAK, ("ENUM_ARRAY_CHANGED", "ENUM_ARRAY_CHANGED")),
    Rule("CONST_ADDED", "`const` was added, pinning the value.",
         FORWARD_SAFE, FORWARD_SAFE, ("TYPE_CHANGED", "PRODUCT_TYPE_NARROWED"), _EVERIT_SYNTHETIC),
    Rule("CONST_REMOVED", "`const` was removed, freeing the value.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("PRODUCT_TYPE_NARROWED", "TYPE_CHANGED"), _EVERIT_SYNTHETIC),
    Rule("ALLOWED_VALUES_RESPELLED", "`const` became `enum` or the reverse (value changes reported apart).",
         BOTH_BREAK, BOTH_SAFE, ("TYPE_CHANGED", "TYPE_CHANGED"),
         "Everit's ConstSchema and EnumSchema differ in class, so Confluent refuses even an equal set."),
    Rule("FORMAT_CHANGED", "`format` was added, removed or changed.",
         BOTH_SAFE, BOTH_SAFE, ("(none)", "(none)"),
         "Confluent's SchemaDiff never compares `format`; in 2020-12 it is an annotation unless a validator "
         "asserts formats, in which case treat it like a pattern change."),
    Rule("SCHEMA_FORBIDDEN", "A subschema became `false`: no value passes it any more.",
         FORWARD_SAFE, FORWARD_SAFE, ("TYPE_CHANGED", "(none: a false original reads anything)")),
    Rule("SCHEMA_ALLOWED", "A `false` subschema became a real schema: values pass it now.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("(none: a false original reads anything)", "TYPE_CHANGED")),
    Rule("PATTERN_ADDED", "`pattern` was added.",
         FORWARD_SAFE, FORWARD_SAFE, ("PATTERN_ADDED", "PATTERN_REMOVED")),
    Rule("PATTERN_REMOVED", "`pattern` was removed.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("PATTERN_REMOVED", "PATTERN_ADDED")),
    Rule("PATTERN_LOOSENED", "`pattern` changed to one matching every string it matched, and more.",
         BOTH_BREAK, BACKWARD_SAFE, ("PATTERN_CHANGED", "PATTERN_CHANGED"),
         "Confluent compares pattern text, so it refuses any edit; the languages are compared as automata."),
    Rule("PATTERN_TIGHTENED", "`pattern` changed to one matching a subset of what it matched.",
         BOTH_BREAK, FORWARD_SAFE, ("PATTERN_CHANGED", "PATTERN_CHANGED"),
         "Confluent compares pattern text, so it refuses any edit; the languages are compared as automata."),
    Rule("PATTERN_REWRITTEN", "`pattern` was rewritten to match exactly the same strings.",
         BOTH_BREAK, BOTH_SAFE, ("PATTERN_CHANGED", "PATTERN_CHANGED"),
         "Confluent compares pattern text, so it refuses even an equivalent rewrite."),
    Rule("PATTERN_CHANGED", "`pattern` changed and neither holds the other (or they could not be compared).",
         BOTH_BREAK, BOTH_BREAK, ("PATTERN_CHANGED", "PATTERN_CHANGED"),
         "Patterns with lookarounds, backreferences or inner anchors are not compared and count as changed."),
    Rule("MULTIPLE_OF_ADDED", "`multipleOf` was added.",
         FORWARD_SAFE, FORWARD_SAFE, ("MULTIPLE_OF_ADDED", "MULTIPLE_OF_REMOVED")),
    Rule("MULTIPLE_OF_REMOVED", "`multipleOf` was removed.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("MULTIPLE_OF_REMOVED", "MULTIPLE_OF_ADDED")),
    Rule("MULTIPLE_OF_TIGHTENED", "`multipleOf` became a multiple of its old value.",
         FORWARD_SAFE, FORWARD_SAFE, ("MULTIPLE_OF_EXPANDED", "MULTIPLE_OF_REDUCED")),
    Rule("MULTIPLE_OF_LOOSENED", "`multipleOf` became a divisor of its old value.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("MULTIPLE_OF_REDUCED", "MULTIPLE_OF_EXPANDED")),
    Rule("MULTIPLE_OF_CHANGED", "`multipleOf` changed to a value neither dividing nor a multiple of it.",
         BOTH_BREAK, BOTH_BREAK, ("MULTIPLE_OF_CHANGED", "MULTIPLE_OF_CHANGED")),
    Rule("UNIQUE_ITEMS_ADDED", "`uniqueItems: true` was added.",
         FORWARD_SAFE, FORWARD_SAFE, ("UNIQUE_ITEMS_ADDED", "UNIQUE_ITEMS_REMOVED")),
    Rule("UNIQUE_ITEMS_REMOVED", "`uniqueItems: true` was removed.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("UNIQUE_ITEMS_REMOVED", "UNIQUE_ITEMS_ADDED")),
    *_bound_rules(),
]  # fmt: skip
