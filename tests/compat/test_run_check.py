"""`run_check` on a real git repository: the gate between two commits of schemas/, and against folders."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from doran.compat import CompatError, run_check
from doran.schema_source.schema_set import load_schema_set

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = "schemas/payloads/norm.swap_demand.schema.json"
DEAD_LETTER = "schemas/payloads/dlq.doran.schema.json"
EXACT_IN = '"ExactInSwapDemand": {'  # the line of the definition that lost ttl_ms


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
    """An export bundle as `doran schemas export` writes it: the registry verbatim, bundle.json, schemas."""
    schema_set = load_schema_set(repo / "schemas")
    registry = json.loads((repo / "schemas" / "topics.json").read_text())
    topics = [t for t in registry["topics"] if t["name"] != drop]
    topics.append({**topics[0], "name": extra, "event_type": "retired_feed"})
    (folder / "schemas").mkdir(parents=True)
    (folder / "topics.json").write_text(json.dumps({**registry, "topics": topics}))
    shutil.copy(repo / "schemas" / "topics.schema.json", folder / "topics.schema.json")
    manifest = {"topics": {}}
    for topic in topics:
        source = topics[0]["name"] if topic["name"] == extra else topic["name"]
        (folder / "schemas" / f"{topic['name']}.schema.json").write_text(
            json.dumps(schema_set.bundle(source))
        )
        manifest["topics"][topic["name"]] = {"schema": f"schemas/{topic['name']}.schema.json"}
    (folder / "bundle.json").write_text(json.dumps(manifest))


def test_against_an_export_bundle_folder_reports_added_and_removed_topics(repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "published"
    _export_bundle(repo, bundle, drop="exec.trade_result", extra="raw.retired_feed")

    code, report = _check(str(bundle), repo)

    assert code == 1  # a topic disappeared
    rows = {line.split()[0]: line.split() for line in report.splitlines() if "TOPIC_" in line}
    assert rows["exec.trade_result"][3:] == ["TOPIC_ADDED", "compatible", "compatible"]
    assert rows["raw.retired_feed"][3:] == ["TOPIC_REMOVED", "BREAKING", "BREAKING"]
    assert "1 added, 1 removed" in report


def test_an_export_bundle_missing_a_topic_schema_is_a_compat_error(repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "published"
    _export_bundle(repo, bundle, drop="exec.trade_result", extra="raw.retired_feed")
    (bundle / "schemas" / "cmd.execute_trade.schema.json").unlink()
    with pytest.raises(CompatError, match=r'no bundled schema "schemas/cmd\.execute_trade\.schema\.json"'):
        _check(str(bundle), repo)


def _transitive_history(repo: Path) -> None:
    """v1 allows a 1024-character reason on a FULL_TRANSITIVE topic; v2 (and the working tree) 512."""
    path = "schemas/payloads/cmd.execute_trade.schema.json"
    _edit(repo, path, lambda d: d["properties"]["reason"].update(maxLength=1024))
    _commit(repo, "v1")
    _git(repo, "tag", "contracts-v1")
    _edit(repo, path, lambda d: d["properties"]["reason"].update(maxLength=512))
    _commit(repo, "v2")
    _git(repo, "tag", "contracts-v2")


def test_a_transitive_topic_is_judged_against_every_version_given(repo: Path) -> None:
    _transitive_history(repo)

    code_latest, only_latest = _check("contracts-v2", repo)
    out = io.StringIO()
    code_all = run_check(["contracts-v1", "contracts-v2"], repo_root=repo, out=out)
    report = out.getvalue()

    assert code_latest == 0, only_latest  # unchanged since v2
    assert code_all == 1  # but tighter than v1, which FULL_TRANSITIVE still covers
    row = next(line for line in report.splitlines() if "MAX_LENGTH_TIGHTENED" in line)
    assert row.split()[:3] == [
        "cmd.execute_trade",
        "FULL_TRANSITIVE",
        "/properties/payload/properties/reason",
    ]
    assert "(against contracts-v1)" in report
    assert "cmd.execute_trade (FULL_TRANSITIVE, STRICT): contracts-v1, contracts-v2" in report
    assert "norm.swap_demand (FULL, STRICT): contracts-v2" in report


def test_history_takes_every_matching_tag_oldest_first(repo: Path) -> None:
    _transitive_history(repo)
    out = io.StringIO()
    code = run_check([], history="contracts-v*", repo_root=repo, out=out)
    assert code == 1
    assert out.getvalue().splitlines()[0].endswith("against contracts-v1, contracts-v2")


def test_history_without_matching_tags_is_a_compat_error(repo: Path) -> None:
    with pytest.raises(CompatError, match="no git tag matches"):
        run_check([], history="nope-*", repo_root=repo, out=io.StringIO())


@pytest.mark.parametrize("error_format", ["json", "junit", "github-actions"])
def test_machine_formats_carry_one_entry_per_finding(repo: Path, error_format: str) -> None:
    _edit(repo, PAYLOAD, _drop_ttl_from_exact_in)
    out = io.StringIO()
    code = run_check("HEAD", repo_root=repo, out=out, error_format=error_format)
    text = out.getvalue()
    assert code == 1
    if error_format == "json":
        document = json.loads(text)
        (entry,) = [
            e for e in document["findings"] if e["rule"] == "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL"
        ]
        assert entry["topic"] == "norm.swap_demand" and entry["pointer"] == "/properties/payload/oneOf/0"
        assert entry["confluent_verdict"] == entry["semantic_verdict"] == "breaking"
        assert entry["previous_version"] == "HEAD" and not document["ok"]
        assert "witness" in entry
        assert (entry["file"], entry["line"]) == (PAYLOAD, _line_of(repo, PAYLOAD, EXACT_IN))
    elif error_format == "junit":
        from xml.etree import ElementTree

        suite = ElementTree.fromstring(text.split("?>", 1)[1]).find("testsuite")
        assert suite is not None and int(suite.get("failures", "0")) >= 1
        assert any(
            f.get("type") == "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL" for f in suite.iter("failure")
        )
        assert {case.get("file") for case in suite.iter("testcase") if case.find("failure") is not None} == {
            PAYLOAD
        }
    else:
        line = next(x for x in text.splitlines() if "REQUIRED_PROPERTY_REMOVED_FROM_CLOSED_MODEL" in x)
        at = _line_of(repo, PAYLOAD, EXACT_IN)
        assert line.startswith(
            f"::error file={PAYLOAD},line={at},title=norm.swap_demand /properties/payload/oneOf/0 "
        )
        assert "Confluent breaking%2C" not in line and "semantic breaking" in line


def test_a_semantic_break_comes_with_a_witness(repo: Path) -> None:
    _edit(repo, DEAD_LETTER, lambda d: d["properties"]["source_topic"].update(maxLength=5))
    out = io.StringIO()
    run_check("HEAD", repo_root=repo, out=out, error_format="json")
    (entry,) = [e for e in json.loads(out.getvalue())["findings"] if e["rule"] == "MAX_LENGTH_TIGHTENED"]
    assert entry["witness"] is not None and entry["witness"]["direction"] == "backward"


def _line_of(repo: Path, rel: str, text: str) -> int:
    """The 1-based line of the first line of a file holding `text`."""
    return next(n for n, line in enumerate((repo / rel).read_text().splitlines(), 1) if text in line)


def test_a_finding_points_into_the_source_file_the_user_edited_not_the_bundle(repo: Path) -> None:
    # QuoteId lives in common.schema.json; every topic carrying a quote_id reaches it through $refs.
    _edit(repo, "schemas/common.schema.json", lambda d: d["$defs"]["QuoteId"].update(maxLength=64))
    out = io.StringIO()
    run_check("HEAD", repo_root=repo, out=out, error_format="json")
    findings = [e for e in json.loads(out.getvalue())["findings"] if e["rule"] == "MAX_LENGTH_TIGHTENED"]
    line = _line_of(repo, "schemas/common.schema.json", '"maxLength": 64')
    assert len(findings) >= 3 and {(e["file"], e["line"]) for e in findings} == {
        ("schemas/common.schema.json", line)
    }
    _, report = _check("HEAD", repo)
    assert f"in schemas/common.schema.json:{line}" in report
