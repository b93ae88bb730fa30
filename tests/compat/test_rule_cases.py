"""The rule table: every case under cases/<id>/ with the findings and verdicts it must produce.

Each expectation names a rule, a JSON pointer, and which directions break for Confluent (c) and in
truth (s): "" none, "b" backward, "f" forward, "bf" both; `lc` is Confluent's under the LENIENT
policy where it differs from STRICT's. Every semantic break is proven by a witness stored in the
case (valid under one version, invalid under the other); every semantic "compatible" direction is
probed with instances generated from the schema, so the table cannot lie either way. Cases are
doran's own, written for each rule and for each cause found by running Confluent's JSON Schema diff
tests against the gate (tuple `items`, `$id` references, recursive unions, keywords, combinators).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from doran.compat import MODES, RULES, compare

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class E:
    """Expected finding: rule, pointer, directions breaking for Confluent (c) and semantically (s)."""

    rule: str
    pointer: str
    c: str
    s: str
    lc: str | None = None


TABLE: dict[str, list[E]] = {
    # object content models: a property added/removed is judged by the model of the version lacking it
    "property_removed_from_closed": [
        E("PROPERTY_REMOVED_FROM_CLOSED_MODEL", "/properties/payload", "b", "b", lc="")],
    "required_property_removed_from_closed": [
        E("REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "/properties/payload", "bf", "bf", lc="f")],
    "optional_property_added_to_closed": [E("OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL", "", "f", "f", lc="")],
    "required_property_added_to_closed": [
        E("REQUIRED_PROPERTY_ADDED_TO_CLOSED_MODEL", "", "bf", "bf", lc="b")],
    # Confluent trusts a default; validation does not fill it in, so old data still fails
    "required_property_with_default_added_to_closed": [
        E("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_CLOSED_MODEL", "", "f", "bf", lc="")],
    "property_added_to_open": [
        E("OPTIONAL_PROPERTY_ADDED_TO_OPEN_MODEL", "/properties/a", "b", "b", lc=""),
        E("UNCONSTRAINED_PROPERTY_ADDED_TO_OPEN_MODEL", "/properties/b", "", "")],
    "required_property_added_to_open": [
        E("REQUIRED_PROPERTY_ADDED_TO_OPEN_MODEL", "/properties/a", "b", "b"),
        E("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_MODEL", "/properties/b", "b", "b", lc="")],
    "property_removed_from_open": [
        E("PROPERTY_REMOVED_FROM_OPEN_MODEL", "/properties/a", "f", "f", lc=""),
        E("UNCONSTRAINED_PROPERTY_REMOVED_FROM_OPEN_MODEL", "/properties/b", "", ""),
        E("REQUIRED_PROPERTY_REMOVED_FROM_OPEN_MODEL", "/properties/c", "f", "f")],
    # content models: a false property never occurs, so dropping it from a closed object changes nothing
    "false_property_removed_from_closed": [E("FALSE_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "", "", "")],
    # `unevaluatedProperties` closes an object where nothing else evaluates its properties
    "unevaluated_properties_closes_object": [
        E("OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL", "/properties/a", "f", "f", lc=""),
        E("ADDITIONAL_PROPERTIES_TIGHTENED", "/properties/b", "b", "b", lc="")],
    # Confluent is wrong about instances: it compares `required` only for names both declare
    "required_undeclared_changed": [
        E("REQUIRED_UNDECLARED_ADDED", "", "", "b"),
        E("REQUIRED_UNDECLARED_REMOVED", "", "", "f"),
        E("REQUIRED_REMOVED", "", "f", "f")],
    # patternProperties: Confluent never compares them; the truth depends on the content model
    "pattern_properties_open_closed": [
        E("PATTERN_PROPERTY_ADDED_TO_OPEN_MODEL", "/properties/a", "", "b"),
        E("PATTERN_PROPERTY_ADDED_TO_CLOSED_MODEL", "/properties/b", "", "f"),
        E("PATTERN_PROPERTY_REMOVED_FROM_OPEN_MODEL", "/properties/c", "", "f"),
        E("PATTERN_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "/properties/d", "", "b")],
    "pattern_properties_meeting_declared_names": [
        E("PATTERN_PROPERTY_ADDED", "/properties/a", "", "bf"),
        E("PATTERN_PROPERTY_REMOVED", "/properties/b", "", "bf")],
    "pattern_property_covers_removed_property": [
        E("TYPE_WIDENED", "/properties/I_123", "f", "f"),
        E("PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL", "", "", ""),
        E("PATTERN_PROPERTY_ADDED_TO_CLOSED_MODEL", "", "", "f")],
    "property_added_to_partially_open": [
        E("MAX_LENGTH_ADDED", "/properties/note", "b", "b"),
        E("PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL", "", "", ""),
        E("REQUIRED_PROPERTY_ADDED_TO_PARTIALLY_OPEN_MODEL", "", "b", "b")],
    "property_removed_from_partially_open": [
        E("MAX_LENGTH_REMOVED", "/properties/note", "f", "f"),
        E("PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL", "", "", ""),
        E("REQUIRED_PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_MODEL", "", "f", "f")],
    "required_added": [E("REQUIRED_ADDED", "", "b", "b")],
    "required_with_default_added": [E("REQUIRED_WITH_DEFAULT_ADDED", "", "", "b")],
    "required_removed": [E("REQUIRED_REMOVED", "", "f", "f")],
    "additional_properties_closed": [E("ADDITIONAL_PROPERTIES_TIGHTENED", "", "b", "b", lc="")],
    "additional_properties_opened": [E("ADDITIONAL_PROPERTIES_LOOSENED", "", "f", "f", lc="")],
    "additional_properties_schema_changed": [E("MAX_LENGTH_ADDED", "/additionalProperties", "b", "b")],
    "nested_property_change": [
        E("MAX_LENGTH_TIGHTENED", "/properties/payload/properties/leg/properties/amount", "b", "b")],
    "envelope_payload_field_removed": [
        E("REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL", "/properties/payload/oneOf/0", "bf", "bf")],
    # allowed values; Everit reads type+enum as a synthetic allOf, so adding/dropping enum is a type change
    "enum_extended_narrowed_changed": [
        E("ENUM_EXTENDED", "/properties/a", "f", "f"),
        E("ENUM_NARROWED", "/properties/b", "b", "b"),
        E("ENUM_CHANGED", "/properties/c", "bf", "bf")],
    "enum_added_removed": [
        E("ENUM_ADDED", "/properties/a", "b", "b"),
        E("ENUM_REMOVED", "/properties/b", "f", "f")],
    "const_changes": [
        E("CONST_CHANGED", "/properties/a", "bf", "bf"),
        E("CONST_ADDED", "/properties/b", "b", "b"),
        E("CONST_REMOVED", "/properties/c", "f", "f"),
        E("ALLOWED_VALUES_RESPELLED", "/properties/d", "bf", ""),
        E("ALLOWED_VALUES_RESPELLED", "/properties/e", "bf", ""),
        E("ENUM_EXTENDED", "/properties/e", "f", "f")],
    # types
    "type_integer_to_number": [E("TYPE_WIDENED", "/properties/n", "f", "f")],
    "type_number_to_integer": [E("TYPE_NARROWED", "/properties/n", "b", "b")],
    "type_changed": [E("TYPE_CHANGED", "/properties/v", "bf", "bf")],
    # Confluent is wrong about instances: Kafka Connect bytes fields are exempt from its type check
    "connect_bytes_type_changed": [E("CONNECT_BYTES_TYPE_CHANGED", "", "", "bf")],
    # Everit's EmptySchema turning into a typed schema that still admits everything
    "vacuous_keywords": [
        E("VACUOUS_KEYWORDS_ADDED", "/properties/a", "b", ""),
        E("VACUOUS_KEYWORDS_REMOVED", "/properties/b", "f", "")],
    "nullable_added_removed": [
        E("TYPE_WIDENED", "/properties/a", "f", "f"),
        E("TYPE_NARROWED", "/properties/b", "b", "b")],
    "schema_forbidden_and_allowed": [
        E("SCHEMA_FORBIDDEN", "/properties/a", "b", "b"),
        E("SCHEMA_ALLOWED", "/properties/b", "f", "f")],
    # bounds: added or tightened breaks backward, removed or loosened breaks forward, for both verdicts
    **{
        case: [
            E(f"{prefix}_{change}", f"/properties/{keyword}_{change.lower()}", side, side)
            for keyword, prefix in keywords
            for change, side in (("ADDED", "b"), ("REMOVED", "f"), ("TIGHTENED", "b"), ("LOOSENED", "f"))
        ]
        for case, keywords in {
            "string_length_bounds": (("minLength", "MIN_LENGTH"), ("maxLength", "MAX_LENGTH")),
            "number_bounds": (("minimum", "MINIMUM"), ("maximum", "MAXIMUM")),
            "exclusive_number_bounds": (("exclusiveMinimum", "EXCLUSIVE_MINIMUM"),
                                        ("exclusiveMaximum", "EXCLUSIVE_MAXIMUM")),
            "array_size_bounds": (("minItems", "MIN_ITEMS"), ("maxItems", "MAX_ITEMS")),
            "object_size_bounds": (("minProperties", "MIN_PROPERTIES"), ("maxProperties", "MAX_PROPERTIES")),
        }.items()
    },
    # patterns: Confluent compares pattern text; the truth compares the languages
    "pattern_added_removed": [
        E("PATTERN_ADDED", "/properties/a", "b", "b"),
        E("PATTERN_REMOVED", "/properties/b", "f", "f")],
    "pattern_loosened": [E("PATTERN_LOOSENED", "/properties/id", "bf", "f")],
    "pattern_tightened": [E("PATTERN_TIGHTENED", "/properties/amount", "bf", "b")],
    "pattern_rewritten_or_changed": [
        E("PATTERN_REWRITTEN", "/properties/a", "bf", ""),
        E("PATTERN_CHANGED", "/properties/b", "bf", "bf")],
    "multiple_of": [
        E("MULTIPLE_OF_ADDED", "/properties/add", "b", "b"),
        E("MULTIPLE_OF_REMOVED", "/properties/rem", "f", "f"),
        E("MULTIPLE_OF_TIGHTENED", "/properties/tig", "b", "b"),
        E("MULTIPLE_OF_LOOSENED", "/properties/loo", "f", "f"),
        E("MULTIPLE_OF_CHANGED", "/properties/chg", "bf", "bf")],
    "format_changed": [E("FORMAT_CHANGED", "/properties/at", "", "")],
    # arrays
    "unique_items": [
        E("UNIQUE_ITEMS_ADDED", "/properties/a", "b", "b"),
        E("UNIQUE_ITEMS_REMOVED", "/properties/b", "f", "f")],
    "items_changes": [
        E("ITEMS_ADDED", "/properties/a", "b", "b"),
        E("ITEMS_REMOVED", "/properties/b", "f", "f"),
        E("MAX_LENGTH_ADDED", "/properties/c/items", "b", "b")],
    # tuples: draft-07 array-valued `items` + `additionalItems`, 2020-12 `prefixItems` + `items`
    "tuple_items_draft07": [
        E("TUPLE_ITEM_ADDED_TO_OPEN_MODEL", "/properties/open_add", "b", "b"),
        E("UNCONSTRAINED_TUPLE_ITEM_ADDED_TO_OPEN_MODEL", "/properties/open_add_free", "", ""),
        E("TUPLE_ITEM_ADDED_TO_CLOSED_MODEL", "/properties/closed_add", "f", "f"),
        E("TYPE_WIDENED", "/properties/partial_add/items/1", "f", "f"),
        E("TUPLE_ITEM_ADDED_TO_PARTIALLY_OPEN_MODEL", "/properties/partial_add", "", ""),
        E("TUPLE_ITEM_REMOVED_FROM_OPEN_MODEL", "/properties/open_rm", "f", "f"),
        E("UNCONSTRAINED_TUPLE_ITEM_REMOVED_FROM_OPEN_MODEL", "/properties/open_rm_free", "", ""),
        E("TUPLE_ITEM_REMOVED_FROM_CLOSED_MODEL", "/properties/closed_rm", "b", "b"),
        E("FALSE_TUPLE_ITEM_REMOVED_FROM_CLOSED_MODEL", "/properties/closed_rm_false", "", ""),
        E("TYPE_WIDENED", "/properties/partial_rm/items/1", "f", "f"),
        E("TUPLE_ITEM_REMOVED_FROM_PARTIALLY_OPEN_MODEL", "/properties/partial_rm", "", ""),
        E("TYPE_CHANGED", "/properties/kept/items/0", "bf", "bf")],
    "prefix_items_2020": [
        E("TUPLE_ITEM_ADDED_TO_CLOSED_MODEL", "/properties/a", "f", "f"),
        E("ITEMS_REMOVED", "/properties/a", "f", "f"),
        E("TYPE_CHANGED", "/properties/b/prefixItems/1", "bf", "bf"),
        E("TUPLE_ITEM_REMOVED_FROM_PARTIALLY_OPEN_MODEL", "/properties/b", "", ""),
        E("TUPLE_ITEM_ADDED_TO_PARTIALLY_OPEN_MODEL", "/properties/c", "", "")],
    # draft-07 `additionalItems` without tuple `items` has no effect: Confluent still compares it
    "additional_items_without_tuple": [
        E("ITEMS_ADDED", "/properties/a", "b", ""),
        E("TYPE_CHANGED", "/properties/b/additionalItems", "bf", "")],
    "contains_changes": [
        E("CONTAINS_ADDED", "/properties/add", "b", "b"),
        E("CONTAINS_REMOVED", "/properties/rm", "f", "f"),
        E("TYPE_WIDENED", "/properties/wide/contains", "f", "f"),
        E("MIN_CONTAINS_TIGHTENED", "/properties/min_up", "b", "b"),
        E("MIN_CONTAINS_LOOSENED", "/properties/min_down", "f", "f"),
        E("MAX_CONTAINS_LOOSENED", "/properties/max", "f", "f"),
        E("MAX_CONTAINS_ADDED", "/properties/max_add", "b", "b"),
        E("MAX_CONTAINS_REMOVED", "/properties/max_rm", "f", "f"),
        E("MAX_CONTAINS_TIGHTENED", "/properties/max_down", "b", "b")],
    # `not`: compared inside with the directions swapped
    "not_changes": [
        E("TYPE_NARROWED", "/properties/narrowed/not", "f", "f"),
        E("TYPE_WIDENED", "/properties/widened/not", "b", "b"),
        E("NOT_ADDED", "/properties/add", "b", "b"),
        E("NOT_REMOVED", "/properties/rm", "f", "f")],
    # dependencies: draft-07 `dependencies`, 2019-09 `dependentRequired` / `dependentSchemas`
    "dependencies_draft07": [
        E("DEPENDENT_REQUIRED_EXTENDED", "", "b", "b"),
        E("DEPENDENT_REQUIRED_ADDED", "", "b", "b"),
        E("DEPENDENT_SCHEMA_REMOVED", "", "f", "f"),
        E("REQUIRED_UNDECLARED_ADDED", "/dependencies/e", "", "b")],
    "dependent_keywords_2019": [
        E("DEPENDENT_REQUIRED_NARROWED", "", "f", "f"),
        E("DEPENDENT_REQUIRED_CHANGED", "", "bf", "bf"),
        E("DEPENDENT_REQUIRED_REMOVED", "", "f", "f"),
        E("DEPENDENT_SCHEMA_REMOVED", "", "f", "f"),
        E("DEPENDENT_SCHEMA_ADDED", "", "b", "b")],
    # references: compared by resolved content; a cycle is walked once
    "ref_target_changed": [E("MAX_LENGTH_ADDED", "/properties/amount", "b", "b")],
    "ref_renamed_same_content": [],
    "recursive_schema": [E("TYPE_WIDENED", "/properties/value", "f", "f")],
    # a `$ref` to the schema's own `$id`; one that resolves nowhere is a finding, not a crash
    "ref_to_own_id": [E("MAX_LENGTH_ADDED", "/properties/title", "b", "b")],
    "unresolved_reference": [E("UNRESOLVED_REFERENCE", "/properties/a", "bf", "bf")],
    # a recursive union of twelve branches (walked on an explicit stack), and a cycle of unions
    # whose memo once recorded a pair as unchanged while it was still being compared
    "recursive_union_of_many_branches": [
        E("TYPE_NARROWED", "/properties/shape/oneOf/0/properties/size", "b", "b")],
    "recursive_cycle_memo_hides_no_break": [
        E("TYPE_CHANGED", "/properties/root/oneOf/0/properties/tag", "bf", "bf"),
        E("TYPE_CHANGED", "/properties/root/oneOf/1/properties/tag", "bf", "bf")],
    # combinators
    "any_of_branches": [
        E("ANY_OF_BRANCH_ADDED", "/properties/a/anyOf/1", "f", "f"),
        E("ANY_OF_BRANCH_REMOVED", "/properties/b/anyOf/1", "b", "b")],
    "one_of_disjoint_branches": [
        E("ONE_OF_BRANCH_ADDED", "/properties/a/oneOf/2", "f", "f"),
        E("ONE_OF_BRANCH_REMOVED", "/properties/b/oneOf/2", "b", "b")],
    "one_of_overlapping_branches": [
        E("ONE_OF_OVERLAPPING_BRANCH_ADDED", "/properties/a/oneOf/1", "f", "bf"),
        E("ONE_OF_OVERLAPPING_BRANCH_REMOVED", "/properties/b/oneOf/1", "b", "bf")],
    "all_of_members": [
        E("ALL_OF_MEMBER_ADDED", "/properties/a/allOf/1", "b", "b"),
        E("ALL_OF_MEMBER_REMOVED", "/properties/b/allOf/1", "f", "f")],
    "combinator_criterion_changes": [
        E("COMBINATOR_RELAXED", "/properties/relax", "f", "f"),
        E("COMBINATOR_TIGHTENED", "/properties/tight", "b", "b"),
        E("ONE_OF_RESPELLED_AS_ANY_OF", "/properties/o2a", "f", ""),
        E("ANY_OF_RESPELLED_AS_ONE_OF", "/properties/a2o", "b", ""),
        E("COMBINATOR_CHANGED", "/properties/o2all", "bf", "bf")],
    "union_introduced_and_dissolved": [
        E("ANY_OF_BRANCH_ADDED", "/properties/a/anyOf/1", "f", "f"),
        E("ONE_OF_BRANCH_REMOVED", "/properties/b/oneOf/1", "b", "b")],
    "combinator_added_removed": [
        E("COMBINATOR_ADDED", "/properties/a", "b", "b"),
        E("COMBINATOR_REMOVED", "/properties/b", "f", "f")],
    # a single-branch combinator is its branch; duplicate allOf members collapse
    "single_branch_combinators": [E("MAX_LENGTH_TIGHTENED", "/properties/e/allOf/0", "b", "b")],
    # branches are paired by a maximum matching over the pairs that stay compatible
    "branches_paired_by_maximum_matching": [E("MAX_LENGTH_TIGHTENED", "/properties/a/anyOf/1", "b", "b")],
    "unmodelled_keyword": [E("KEYWORD_CHANGED", "/properties/a", "bf", "bf")],
}  # fmt: skip

_FLAG = {"backward": "b", "forward": "f"}


def _load(case: str, name: str) -> Any:
    return json.loads((CASES_DIR / case / f"{name}.json").read_text())


def _expected_verdict(breaks: str, mode: str) -> str:
    return "breaking" if any(_FLAG[d] in breaks for d in MODES[mode]) else "compatible"


# A reference that resolves nowhere has no instances to witness: judged breaking by policy.
_UNWITNESSABLE = frozenset({"UNRESOLVED_REFERENCE"})
# Recursive or remote schemas that hypothesis-jsonschema cannot generate instances from.
_NOT_PROBED = frozenset(
    {
        "recursive_schema",
        "recursive_union_of_many_branches",
        "recursive_cycle_memo_hides_no_break",
        "ref_to_own_id",
        "unresolved_reference",
    }
)


def _validator(schema: Any) -> Validator:
    return validator_for(schema, default=Draft202012Validator)(schema)  # type: ignore[no-any-return]


def test_table_and_fixtures_name_the_same_cases() -> None:
    assert sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir()) == sorted(TABLE)
    assert len(TABLE) >= 30


def test_every_rule_of_the_catalogue_has_a_case() -> None:
    covered = {e.rule for expectations in TABLE.values() for e in expectations}
    assert set(RULES) - covered == set()
    assert covered - set(RULES) == set()


@pytest.mark.parametrize("case", sorted(TABLE))
def test_case_finds_exactly_the_tabled_rules_at_the_tabled_pointers(case: str) -> None:
    report = compare(_load(case, "previous"), _load(case, "current"), "FULL", topic=case)
    found = sorted((f.rule_id, f.pointer) for f in report.findings)
    assert found == sorted((e.rule, e.pointer) for e in TABLE[case])


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("case", sorted(TABLE))
def test_case_verdicts_under_every_mode(case: str, mode: str) -> None:
    report = compare(_load(case, "previous"), _load(case, "current"), mode, topic=case)
    expected = {(e.rule, e.pointer): e for e in TABLE[case]}
    for finding in report.findings:
        e = expected[(finding.rule_id, finding.pointer)]
        assert finding.confluent_verdict == _expected_verdict(e.c, mode), finding
        assert finding.semantic_verdict == _expected_verdict(e.s, mode), finding
        assert finding.topic == case
    assert report.refused_by_registry == any(_expected_verdict(e.c, mode) == "breaking" for e in TABLE[case])


@pytest.mark.parametrize("case", sorted(TABLE))
def test_lenient_policy_verdicts(case: str) -> None:
    report = compare(_load(case, "previous"), _load(case, "current"), "FULL", topic=case, policy="LENIENT")
    expected = {(e.rule, e.pointer): e for e in TABLE[case]}
    assert report.policy == "LENIENT"
    for finding in report.findings:
        e = expected[(finding.rule_id, finding.pointer)]
        assert finding.confluent_verdict == _expected_verdict(e.c if e.lc is None else e.lc, "FULL"), finding
        assert finding.semantic_verdict == _expected_verdict(e.s, "FULL"), finding


def test_every_rule_that_lenient_changes_is_tabled_under_lenient() -> None:
    tabled = {e.rule for expectations in TABLE.values() for e in expectations if e.lc is not None}
    assert tabled == {rule.id for rule in RULES.values() if rule.lenient is not None}


@pytest.mark.parametrize("case", sorted(TABLE))
def test_every_semantic_break_has_a_witness_that_proves_it(case: str) -> None:
    previous = _validator(_load(case, "previous"))
    current = _validator(_load(case, "current"))
    witnesses = _load(case, "witnesses")
    claimed = {
        (e.rule, e.pointer, d)
        for e in TABLE[case]
        for d, flag in _FLAG.items()
        if flag in e.s and e.rule not in _UNWITNESSABLE
    }
    offered = {(w["rule"], w["pointer"], w["direction"]) for w in witnesses}
    assert offered == claimed, "each semantic break needs a witness, and each witness a tabled break"
    for w in witnesses:
        accepts, rejects = (previous, current) if w["direction"] == "backward" else (current, previous)
        assert accepts.is_valid(w["instance"]), f"{w['rule']} witness must be valid before the break: {w}"
        assert not rejects.is_valid(w["instance"]), f"{w['rule']} witness must be rejected: {w}"


def _semantically_safe_directions() -> list[tuple[str, str]]:
    pairs = []
    for case, expectations in TABLE.items():
        for direction, flag in _FLAG.items():
            if expectations and not any(flag in e.s for e in expectations) and case not in _NOT_PROBED:
                pairs.append((case, direction))
    return pairs


@pytest.mark.parametrize(("case", "direction"), _semantically_safe_directions())
def test_semantically_compatible_directions_hold_for_generated_instances(case: str, direction: str) -> None:
    source, target = ("previous", "current") if direction == "backward" else ("current", "previous")
    reader, writer = _validator(_load(case, target)), _validator(_load(case, source))

    quiet = list(HealthCheck)
    probe = settings(
        max_examples=40, derandomize=True, database=None, deadline=None, suppress_health_check=quiet
    )

    @probe
    @given(from_schema(_load(case, source)))
    def stays_valid(instance: Any) -> None:
        if not writer.is_valid(instance):
            return  # hypothesis-jsonschema does not know every 2019-09/2020-12 keyword
        assert reader.is_valid(instance), f"{instance!r} from the {source} schema fails the {target} schema"

    stays_valid()
