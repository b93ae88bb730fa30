"""`compare` as a library: modes, transitive history, report fields, errors, the public surface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import doran.compat
from doran.compat import RULES, CompatError, catalogue_markdown, compare
from doran.publish.inline import inline_schema
from doran.schema_source.schema_set import load_schema_set

REPO = Path(__file__).resolve().parents[2]
HISTORY = Path(__file__).parent / "history"
CASES = Path(__file__).parent / "cases"


def _history() -> tuple[Any, Any, Any]:
    return tuple(json.loads((HISTORY / f"v{n}.json").read_text()) for n in (1, 2, 3))  # type: ignore[return-value]


def test_public_names() -> None:
    assert sorted(doran.compat.__all__) == sorted(
        ["BREAKING", "COMPATIBLE", "MODES", "POLICIES", "RULES", "CompatError", "CompatReport", "Effect",
         "Finding", "Rule", "catalogue_markdown", "compare", "run_check"]
    )  # fmt: skip


def test_finding_reads_as_a_past_tense_sentence_with_quoted_name_and_pointer() -> None:
    case = CASES / "required_property_removed_from_closed"
    previous, current = (json.loads((case / f"{n}.json").read_text()) for n in ("previous", "current"))
    (finding,) = compare(previous, current, "BACKWARD", topic="norm.swap_demand").findings
    assert (
        finding.message
        == 'Required property "amount_out" was removed from closed object at /properties/payload'
    )
    assert finding.topic == "norm.swap_demand"
    assert finding.previous_version == 1
    assert str(finding).startswith(finding.message)
    assert "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL" in str(finding)


def test_non_transitive_modes_compare_with_the_newest_previous_version_only() -> None:
    v1, v2, v3 = _history()
    for mode in ("BACKWARD", "FORWARD", "FULL"):
        report = compare([v1, v2], v3, mode)
        assert report.findings == ()
        assert not report.breaking


def test_forward_transitive_finds_a_break_against_an_older_version() -> None:
    v1, v2, v3 = _history()
    report = compare([v1, v2], v3, "FORWARD_TRANSITIVE", topic="t")
    (finding,) = report.findings
    assert (finding.rule_id, finding.pointer, finding.previous_version) == (
        "MAX_LENGTH_LOOSENED",
        "/properties/note",
        1,
    )
    assert report.breaking
    assert report.refused_by_registry
    assert compare([v1, v2], v3, "FULL_TRANSITIVE").breaking


def test_backward_transitive_accepts_a_history_of_loosenings() -> None:
    v1, v2, v3 = _history()
    report = compare([v1, v2], v3, "BACKWARD_TRANSITIVE")
    assert [f.rule_id for f in report.findings] == ["MAX_LENGTH_LOOSENED"]
    assert not report.breaking


def test_none_reports_changes_and_breaks_nothing() -> None:
    v1, v2, _ = _history()
    report = compare(v1, v2, "none")
    assert report.mode == "NONE"
    assert [f.rule_id for f in report.findings] == ["MAX_LENGTH_LOOSENED"]
    assert not report.breaking
    assert not report.refused_by_registry


def test_an_empty_history_has_nothing_to_break() -> None:
    _, _, v3 = _history()
    assert compare([], v3, "FULL_TRANSITIVE").findings == ()


def test_unknown_mode_is_a_compat_error_listing_the_modes() -> None:
    v1, v2, _ = _history()
    with pytest.raises(CompatError, match=r"unknown compatibility mode.*BACKWARD_TRANSITIVE") as raised:
        compare(v1, v2, "SIDEWAYS", topic="norm.swap_demand")
    assert raised.value.source == "norm.swap_demand mode 'SIDEWAYS'"


@pytest.mark.parametrize("ref", ["common.schema.json#/$defs/U128", "#/$defs/Missing", "#Anchor"])
def test_a_reference_the_gate_cannot_follow_is_a_breaking_finding_naming_the_version_and_the_ref(
    ref: str,
) -> None:
    good = {"type": "object", "properties": {"a": {"type": "string"}}}
    bad = {"type": "object", "properties": {"a": {"$ref": ref}}}
    (finding,) = compare([good], bad, "BACKWARD", topic="t").findings
    assert (finding.rule_id, finding.pointer) == ("UNRESOLVED_REFERENCE", "/properties/a")
    assert ref in finding.message and "t current version" in finding.message
    assert finding.confluent_verdict == finding.semantic_verdict == "breaking"


def test_a_reference_to_the_schemas_own_id_resolves() -> None:
    task = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "task.schema.json",
        "type": ["null", "object"],
        "properties": {"parent": {"$ref": "task.schema.json"}, "title": {"type": "string"}},
    }
    wider = json.loads(json.dumps(task))
    wider["properties"]["title"]["type"] = ["string", "null"]
    assert compare(task, task, "FULL").findings == ()
    (finding,) = compare(task, wider, "FULL").findings
    assert (finding.rule_id, finding.pointer) == ("TYPE_WIDENED", "/properties/title")


def test_a_reference_loop_without_content_is_a_compat_error() -> None:
    looping = {
        "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
        "properties": {"a": {"$ref": "#/$defs/A"}},
    }
    with pytest.raises(CompatError, match="leads back to itself"):
        compare(looping, {"properties": {"a": {"type": "string"}}}, "BACKWARD")


def test_previous_must_be_schemas() -> None:
    with pytest.raises(CompatError, match="expected a schema"):
        compare("not a schema", {}, "BACKWARD")  # type: ignore[arg-type]


def test_rules_document_where_confluent_and_the_truth_disagree() -> None:
    for rule in RULES.values():
        assert rule.id == rule.id.upper() and rule.purpose.endswith("."), rule.id
        assert len(rule.confluent_types) == 2, rule.id
        if rule.confluent != rule.semantic:
            assert rule.note, (
                f"{rule.id}: Confluent and the semantic verdict differ, so the rule must say why"
            )


def test_the_catalogue_renders_one_row_per_rule() -> None:
    table = catalogue_markdown().splitlines()
    assert len(table) == 2 + len(RULES)
    assert all(f"| `{rule_id}` |" in "\n".join(table) for rule_id in RULES)


def test_doran_topics_equal_their_inlined_form_because_refs_compare_by_content() -> None:
    schema_set = load_schema_set(REPO / "schemas")
    for topic in schema_set.topics:
        bundled = schema_set.bundle(topic.name)
        inlined = inline_schema(bundled)
        assert compare(bundled, inlined, "FULL", topic=topic.name).findings == ()
        assert compare(inlined, bundled, "FULL", topic=topic.name).findings == ()


def test_an_unknown_policy_is_a_compat_error() -> None:
    v1, v2, _ = _history()
    with pytest.raises(CompatError, match="unknown compatibility policy"):
        compare(v1, v2, "BACKWARD", policy="LAX")


def test_lenient_accepts_an_optional_property_on_an_open_object_that_strict_refuses() -> None:
    before = {"type": "object", "properties": {"name": {"type": "string"}}}
    after = {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}
    assert compare(before, after, "BACKWARD").refused_by_registry
    lenient = compare(before, after, "BACKWARD", policy="lenient")
    assert lenient.policy == "LENIENT" and not lenient.refused_by_registry
    assert lenient.breaking  # the semantic verdict does not depend on the policy


def _chain(length: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(length):
        node = {"type": "object", "properties": {"next": node}}
    return node


def test_a_schema_deeper_than_pythons_stack_is_walked() -> None:
    deep_old, deep_new = _chain(3000), _chain(3000)
    leaf = deep_new
    for _ in range(3000):
        leaf = leaf["properties"]["next"]
    leaf["type"] = "number"
    (finding,) = compare(deep_old, deep_new, "BACKWARD").findings
    assert finding.rule_id == "TYPE_CHANGED" and finding.pointer.count("/next") == 3000


def test_a_recursive_cycle_does_not_hide_a_break_whatever_the_comparison_order() -> None:
    case = CASES / "recursive_cycle_memo_hides_no_break"
    previous, current = (json.loads((case / f"{n}.json").read_text()) for n in ("previous", "current"))
    for swapped in (False, True):
        if swapped:
            for document in (previous, current):
                document["properties"]["root"]["oneOf"].reverse()
        report = compare(previous, current, "BACKWARD")
        assert report.refused_by_registry and report.breaking
