"""`run_check` on a real git repository: the gate between two commits of schemas/, and against folders."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from doran.schema_source.schema_set import load_schema_set
from doran.compat import CompatError, run_check

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = "schemas/payloads/norm.swap_demand.schema.json"
DEAD_LETTER = "schemas/payloads/dlq.doran.schema.json"


def _git(repo: Path, *args: str) -> None:
    identity = [
        "-c",
        "user.name=doran tests",
        "-c",
        "user.email=tests@doran.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run(["git", "-C", str(repo), *identity, *args], check=True, capture_output=True)


def _edit(repo: Path, rel: str, change: Any) -> None:
    path = repo / rel
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds a copy of doran's schemas/."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "schemas", root / "schemas")
    _git(root, "init", "-q")
    _commit(root, "schemas v1")
    return root


def _check(against: str, repo: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(against, repo_root=repo, out=out)
    return code, out.getvalue()


def _drop_ttl_from_exact_in(payload: dict[str, Any]) -> None:
    exact_in = payload["$defs"]["ExactInSwapDemand"]
    del exact_in["properties"]["ttl_ms"]
    exact_in["required"].remove("ttl_ms")


def test_a_required_field_removed_from_a_closed_payload_fails_the_gate(repo: Path) -> None:
    _edit(repo, PAYLOAD, _drop_ttl_from_exact_in)
    _commit(repo, "drop ttl_ms from exact-in demands")

    code, report = _check("HEAD~1", repo)

    assert code == 1
    row = next(line for line in report.splitlines() if "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL" in line)
    assert row.split()[:3] == ["norm.swap_demand", "FULL", "/properties/payload/oneOf/0"]
    assert row.split()[-2:] == ["BREAKING", "BREAKING"]
    assert 'Required property "ttl_ms" was removed from closed object' in report
    assert "FAIL" in report.splitlines()[-1]


def test_a_loosened_limit_on_a_backward_topic_passes_the_gate(repo: Path) -> None:
    _edit(repo, DEAD_LETTER, lambda d: d["properties"]["source_topic"].update(maxLength=300))
    _commit(repo, "longer source topics in dead letters")

    code, report = _check("HEAD~1", repo)

    assert code == 0, report
    row = next(line for line in report.splitlines() if "MAX_LENGTH_LOOSENED" in line)
    assert row.split() == ["dlq.doran", "BACKWARD", "/properties/payload/properties/source_topic",
                           "MAX_LENGTH_LOOSENED", "compatible", "compatible"]  # fmt: skip
    assert report.splitlines()[-1].startswith("OK")


def test_the_same_loosening_breaks_a_full_topic_and_the_registry_would_refuse_it(repo: Path) -> None:
    _edit(
        repo, PAYLOAD, lambda d: d["$defs"]["ExactInSwapDemand"]["properties"]["ttl_ms"].update(maximum=10**9)
    )
    _commit(repo, "longer ttl")

    code, report = _check("HEAD~1", repo)

    assert code == 1
    assert "MAXIMUM_LOOSENED" in report
    assert "1 the registry would refuse (norm.swap_demand)" in report


def test_the_working_tree_is_compared_not_only_commits(repo: Path) -> None:
    _edit(repo, PAYLOAD, _drop_ttl_from_exact_in)  # not committed

    code, report = _check("HEAD", repo)

    assert code == 1
    assert "/properties/payload/oneOf/0" in report


def test_unchanged_schemas_pass(repo: Path) -> None:
    code, report = _check("HEAD", repo)
    assert code == 0
    assert "No schema changed." in report


def test_an_unknown_ref_is_a_compat_error_naming_it(repo: Path) -> None:
    with pytest.raises(CompatError, match="not a folder, and not a commit") as raised:
        _check("no-such-branch", repo)
    assert raised.value.source == "no-such-branch"


def test_a_commit_without_schemas_is_a_compat_error(repo: Path) -> None:
    (repo / "README").write_text("first\n")
    _git(repo, "rm", "-r", "-q", "schemas")
    _commit(repo, "no schemas")
    shutil.copytree(REPO / "schemas", repo / "schemas")
    with pytest.raises(CompatError, match="has no schemas/ folder"):
        _check("HEAD", repo)


def test_an_unreadable_previous_schema_is_a_compat_error_naming_ref_and_file(repo: Path) -> None:
    (repo / PAYLOAD).write_text("{ not json")
    _commit(repo, "broken payload")
    _git(repo, "revert", "--no-edit", "HEAD")
    with pytest.raises(CompatError, match=r"HEAD~1: payloads/norm\.swap_demand\.schema\.json.*not JSON"):
        _check("HEAD~1", repo)


def _export_bundle(repo: Path, folder: Path, drop: str, extra: str) -> None:
    """An export bundle as `doran schemas export` writes it: bundled schemas and topics.json."""
    schema_set = load_schema_set(repo / "schemas")
    registry = json.loads((repo / "schemas" / "topics.json").read_text())
    topics = [t for t in registry["topics"] if t["name"] != drop]
    topics.append({**topics[0], "name": extra})
    (folder / "bundled").mkdir(parents=True)
    (folder / "topics.json").write_text(json.dumps({"topics": topics}))
    for topic in topics:
        source = topics[0]["name"] if topic["name"] == extra else topic["name"]
        path = folder / "bundled" / f"{topic['name']}.schema.json"
        path.write_text(json.dumps(schema_set.bundle(source)))


def test_against_an_export_bundle_folder_reports_added_and_removed_topics(repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "published"
    _export_bundle(repo, bundle, drop="dlq.doran", extra="raw.retired_feed")

    code, report = _check(str(bundle), repo)

    assert code == 1  # a topic disappeared
    rows = {line.split()[0]: line.split() for line in report.splitlines() if "TOPIC_" in line}
    assert rows["dlq.doran"][3:] == ["TOPIC_ADDED", "compatible", "compatible"]
    assert rows["raw.retired_feed"][3:] == ["TOPIC_REMOVED", "BREAKING", "BREAKING"]
    assert "1 added, 1 removed" in report


def test_an_export_bundle_missing_a_topic_schema_is_a_compat_error(repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "published"
    _export_bundle(repo, bundle, drop="dlq.doran", extra="raw.retired_feed")
    (bundle / "bundled" / "cmd.execute_trade.schema.json").unlink()
    with pytest.raises(CompatError, match=r'no self-contained "cmd\.execute_trade\.schema\.json"'):
        _check(str(bundle), repo)
