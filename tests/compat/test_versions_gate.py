"""The gate and versions: a new major version that comes with migrations passes, anything else is
judged as it always was; each version is compared with its own past, also from an export."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.generated import DEMAND_MIGRATION, REPO, build_environment, generated_package, walkthrough_tree

from doran.compat.check import check_outcome
from doran.compat.loader import TopicSchemas, load_topic_schemas
from doran.compat.outcome import CheckOutcome

DEMAND = "norm.swap_demand"


def _judged(current: Path, *previous: Path) -> CheckOutcome:
    return check_outcome(
        load_topic_schemas(current, "current"),
        [load_topic_schemas(p, f"previous {i}") for i, p in enumerate(previous)],
    )


def _rules(outcome: CheckOutcome) -> dict[str, list[tuple[str, str]]]:
    return {
        r.topic: [(f.rule_id, f.semantic_verdict) for f in r.findings] for r in outcome.reports if r.findings
    }


def _edit_demand(tree: Path, change: Callable[[dict[str, Any]], None]) -> None:
    registry = json.loads((tree / "topics.json").read_text())
    change(next(t for t in registry["topics"] if t["name"] == DEMAND))
    (tree / "topics.json").write_text(json.dumps(registry))


def test_a_new_major_version_with_its_migrations_passes(tmp_path: Path) -> None:
    outcome = _judged(walkthrough_tree(tmp_path), REPO / "schemas")
    assert _rules(outcome) == {DEMAND: [("MAJOR_VERSION_ADDED", "compatible")]}
    assert outcome.compared[f"{DEMAND} v1"] == ["previous 0"] and outcome.exit_code == 0


def test_the_same_change_in_place_breaks_as_it_always_did(tmp_path: Path) -> None:
    tree = walkthrough_tree(tmp_path)
    _edit_demand(tree, lambda t: t.update(earlier_versions=[], schema_version=1))
    outcome = _judged(tree, REPO / "schemas")
    assert ("OPTIONAL_PROPERTY_ADDED_TO_CLOSED_MODEL", "breaking") in _rules(outcome)[DEMAND]
    assert outcome.exit_code == 1


def test_a_new_major_version_no_migration_reaches_breaks(tmp_path: Path) -> None:
    tree = walkthrough_tree(tmp_path)
    _edit_demand(tree, lambda t: t.update(earlier_versions=[]))
    outcome = _judged(tree, REPO / "schemas")
    assert _rules(outcome) == {
        DEMAND: [("MAJOR_VERSION_WITHOUT_MIGRATION", "breaking"), ("VERSION_RETIRED", "breaking")]
    }
    assert outcome.exit_code == 1


def test_a_full_topic_needs_the_downgrade_too(tmp_path: Path) -> None:
    tree = walkthrough_tree(tmp_path, {"description": "one way", "upgrade": []})
    outcome = _judged(tree, REPO / "schemas")
    [finding] = next(r for r in outcome.reports if r.topic == DEMAND).findings
    assert finding.rule_id == "MAJOR_VERSION_WITHOUT_MIGRATION" and "no downgrade" in finding.message


def test_each_version_is_judged_against_its_own_past(tmp_path: Path) -> None:
    published = walkthrough_tree(tmp_path / "published")
    current = walkthrough_tree(tmp_path / "current")
    v1 = current / "payloads/norm.swap_demand.schema.json"
    document = json.loads(v1.read_text())
    document["$defs"]["ExactInSwapDemand"]["properties"]["quote_id"]["maxLength"] = 64
    v1.write_text(json.dumps(document))
    outcome = _judged(current, REPO / "schemas", published)
    assert set(_rules(outcome)) == {f"{DEMAND} v1"}
    assert outcome.compared[f"{DEMAND} v1"] == ["previous 0", "previous 1"]
    assert outcome.exit_code == 1  # FULL: a narrower version 1 breaks its readers' backward view


def test_an_export_of_a_versioned_build_reads_back_with_its_versions(tmp_path: Path) -> None:
    tree = walkthrough_tree(tmp_path / "build")
    generated_package(tree)
    exported = tmp_path / "export"
    code = (
        f"from pathlib import Path; from doran.publish.export import export; export(Path({str(exported)!r}))"
    )
    subprocess.run([sys.executable, "-c", code], env=build_environment(tree), check=True)
    assert (exported / DEMAND_MIGRATION).is_file()
    read: TopicSchemas = load_topic_schemas(exported, "export")
    assert sorted(read.versions[DEMAND]) == [1, 2] and read.downgrades[DEMAND] == {1}
    assert _rules(_judged(tree, exported)) == {}
    assert _rules(_judged(exported, REPO / "schemas")) == {DEMAND: [("MAJOR_VERSION_ADDED", "compatible")]}
