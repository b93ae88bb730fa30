"""Rules for changes to combinators, `not`, dependencies, references, and unmodelled keywords.

Everit (Confluent's schema model) wraps a schema holding keywords of several kinds in a synthetic
`allOf`, so a combinator added beside other keywords is a TYPE_CHANGED for Confluent's backward
check and a PRODUCT_TYPE_NARROWED (accepted) for its forward check.
"""

from __future__ import annotations

from doran.compat.rules import BACKWARD_SAFE, BOTH_BREAK, BOTH_SAFE, FORWARD_SAFE, Rule

__all__ = ["STRUCTURE_RULES"]

_DISJOINT = (
    "Branches are disjoint when their types, allowed values, or a required property's schemas cannot "
    "overlap; anything else counts as overlapping."
)

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
    Rule("COMBINATOR_CHANGED", "`oneOf` became `allOf` or the reverse (both with several branches).",
         BOTH_BREAK, BOTH_BREAK, ("COMBINED_TYPE_CHANGED", "COMBINED_TYPE_CHANGED")),
    Rule("COMBINATOR_ADDED", "An `allOf`/`anyOf`/`oneOf` was added next to other keywords (a narrowing).",
         FORWARD_SAFE, FORWARD_SAFE, ("TYPE_CHANGED", "PRODUCT_TYPE_NARROWED")),
    Rule("COMBINATOR_REMOVED", "An `allOf`/`anyOf`/`oneOf` next to other keywords was removed (a widening).",
         BACKWARD_SAFE, BACKWARD_SAFE, ("PRODUCT_TYPE_NARROWED", "TYPE_CHANGED")),
]  # fmt: skip

_KEYWORD_RULES: list[Rule] = [
    Rule("NOT_ADDED", "`not` was added: values matching it are excluded.",
         FORWARD_SAFE, FORWARD_SAFE, ("TYPE_CHANGED", "PRODUCT_TYPE_NARROWED")),
    Rule("NOT_REMOVED", "`not` was removed: the values it excluded pass.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("PRODUCT_TYPE_NARROWED", "TYPE_CHANGED")),
    Rule("DEPENDENT_REQUIRED_ADDED", "A dependency (names required with a key) was added.",
         FORWARD_SAFE, FORWARD_SAFE, ("DEPENDENCY_ARRAY_ADDED", "DEPENDENCY_ARRAY_REMOVED")),
    Rule("DEPENDENT_REQUIRED_REMOVED", "A dependency (names required with a key) was removed.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_ARRAY_ADDED")),
    Rule("DEPENDENT_REQUIRED_EXTENDED", "A key now requires more names.",
         FORWARD_SAFE, FORWARD_SAFE, ("DEPENDENCY_ARRAY_EXTENDED", "DEPENDENCY_ARRAY_NARROWED")),
    Rule("DEPENDENT_REQUIRED_NARROWED", "A key now requires fewer names.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_EXTENDED")),
    Rule("DEPENDENT_REQUIRED_CHANGED", "A key now requires other names (some added, some dropped).",
         BOTH_BREAK, BOTH_BREAK, ("DEPENDENCY_ARRAY_CHANGED", "DEPENDENCY_ARRAY_CHANGED")),
    Rule("DEPENDENT_SCHEMA_ADDED", "A dependent schema (applied when a key is present) was added.",
         FORWARD_SAFE, FORWARD_SAFE, ("DEPENDENCY_SCHEMA_ADDED", "DEPENDENCY_SCHEMA_REMOVED")),
    Rule("DEPENDENT_SCHEMA_REMOVED", "A dependent schema was removed.",
         BACKWARD_SAFE, BACKWARD_SAFE, ("DEPENDENCY_SCHEMA_REMOVED", "DEPENDENCY_SCHEMA_ADDED")),
    Rule("UNRESOLVED_REFERENCE", "A `$ref` resolves to nothing in the document (e.g. a remote URL).",
         BOTH_BREAK, BOTH_BREAK, ("(unsupported external reference)", "(unsupported external reference)"),
         "What it admits is unknown, so it is judged breaking both ways; bundle remote schemas first."),
    Rule("VACUOUS_KEYWORDS_ADDED",
         "A schema that admitted anything ({} or true) gained keywords that still constrain nothing.",
         FORWARD_SAFE, BOTH_SAFE, ("TYPE_CHANGED", "(none)"),
         "Everit's EmptySchema became a typed schema (e.g. {} -> {\"properties\": {}}): Confluent sees a "
         "type "
         "change; every value still passes."),
    Rule("VACUOUS_KEYWORDS_REMOVED", "Keywords that constrained nothing were removed, leaving {}.",
         BACKWARD_SAFE, BOTH_SAFE, ("(none)", "TYPE_CHANGED"),
         "Confluent's forward check sees Everit's EmptySchema replace a typed schema; no value changes."),
    Rule("KEYWORD_CHANGED", "A keyword the gate does not model (if/then/else, propertyNames...) changed.",
         BOTH_BREAK, BOTH_BREAK, ("(depends)", "(depends)"),
         "Judged conservatively as breaking both ways; review the change by hand. A keyword without "
         "effect where it is (inert) changes no instance."),
]  # fmt: skip

STRUCTURE_RULES: list[Rule] = [*_COMBINATOR_RULES, *_KEYWORD_RULES]
