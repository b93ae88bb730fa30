"""`doran schemas publish --snapshot DIR`: the plan of a publication, offline, against what an export
snapshot holds; doran's gate judges each change, nothing is written and no registry is needed."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from doran.cli import main
from doran.contracts import TOPICS
from doran.publish import export
from doran.publish.inline import inline_schema
from doran.publish.plan import SubjectSource
from doran.publish.publication import EXIT_BLOCKED, EXIT_OK, plan_against_snapshot
from doran.schema_source.schema_set import load_schema_set

REPO = Path(__file__).resolve().parents[2]


def _sources(schemas: Path) -> list[SubjectSource]:
    """What publishing the schemas/ folder `schemas` would register."""
    schema_set = load_schema_set(schemas)
    return [
        SubjectSource(
            t.name, t.compatibility, inline_schema(schema_set.bundle(t.name)), t.compatibility_policy
        )
        for t in schema_set.topics
    ]


def test_the_contract_against_its_own_snapshot_changes_nothing(tmp_path: Path) -> None:
    export(tmp_path / "snapshot")
    result = CliRunner().invoke(main, ["schemas", "publish", "--snapshot", str(tmp_path / "snapshot")])
    assert result.exit_code == 0, result.output
    assert "offline: doran's gate only; the registry's own check is not run" in result.output
    assert f"Plan: 0 new, 0 changed, {len(TOPICS)} unchanged" in result.output  # a subject per topic


def test_a_breaking_change_is_blocked_by_the_gate_offline(tmp_path: Path) -> None:
    export(tmp_path / "snapshot")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    common = tmp_path / "schemas" / "common.schema.json"
    document = json.loads(common.read_text())
    document["$defs"]["QuoteId"]["maxLength"] = 64  # every topic carrying a quote_id tightens
    common.write_text(json.dumps(document, indent=2))
    out, err = io.StringIO(), io.StringIO()

    code = plan_against_snapshot(
        tmp_path / "snapshot", out=out, err=err, sources=_sources(tmp_path / "schemas")
    )

    assert code == EXIT_BLOCKED
    assert "BLOCKED    cmd.execute_trade-value" in out.getvalue()
    assert "`maxLength` was tightened from 128 to 64" in out.getvalue()
    assert "nothing was published" in err.getvalue()


def test_a_topic_the_snapshot_lacks_is_planned_as_new(tmp_path: Path) -> None:
    export(tmp_path / "snapshot")
    manifest = tmp_path / "snapshot" / "topics.json"
    registry = json.loads(manifest.read_text())
    registry["topics"] = [t for t in registry["topics"] if t["name"] != "exec.quote_settlement"]
    manifest.write_text(json.dumps(registry))
    out = io.StringIO()
    assert plan_against_snapshot(tmp_path / "snapshot", out=out, err=io.StringIO()) == EXIT_OK
    assert "new        exec.quote_settlement-value" in out.getvalue()


def test_either_a_registry_or_a_snapshot_and_the_snapshot_must_be_one(tmp_path: Path) -> None:
    neither = CliRunner().invoke(main, ["schemas", "publish", "--dry-run"])
    assert neither.exit_code == 2 and "give --registry URL, or --snapshot DIR" in neither.output
    not_a_snapshot = CliRunner().invoke(main, ["schemas", "publish", "--snapshot", str(tmp_path)])
    assert not_a_snapshot.exit_code == 2 and "no topics.json" in not_a_snapshot.output
