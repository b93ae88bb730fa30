"""The topic bootstrap is rendered from schemas/topics.json and the committed render is current."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from doran.contracts import TOPICS
from doran.publish.manifests import (
    BOOTSTRAP_SCRIPT,
    REFRESH_COMMAND,
    BootstrapTopic,
    parse_bootstrap_topics,
    render_manifests,
    stale_manifests,
    write_manifests,
)


def _registry_topics() -> list[BootstrapTopic]:
    return [
        BootstrapTopic(t.name, t.partitions, t.replication_factor, t.retention_ms, t.cleanup_policy)
        for t in TOPICS.values()
    ]


def test_committed_manifests_equal_a_fresh_render(repo_root: Path) -> None:
    stale = stale_manifests(repo_root)
    names = ", ".join(str(p) for p in stale)
    assert not stale, f"stale generated deployment files: {names}; refresh with: {REFRESH_COMMAND}"


def test_bootstrap_script_creates_exactly_the_registry_topics(repo_root: Path) -> None:
    script = render_manifests(repo_root)[BOOTSTRAP_SCRIPT]
    assert parse_bootstrap_topics(script) == _registry_topics()


def test_render_follows_a_registry_change(repo_root: Path, tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    registry = json.loads((repo_root / "schemas" / "topics.json").read_text())
    registry["topics"][0]["partitions"] = 12
    registry["topics"][0]["retention_ms"] = 1234
    (tmp_path / "schemas" / "topics.json").write_text(json.dumps(registry))

    topics = parse_bootstrap_topics(render_manifests(tmp_path)[BOOTSTRAP_SCRIPT])

    assert (topics[0].partitions, topics[0].retention_ms) == (12, 1234)
    assert [t.name for t in topics] == [t["name"] for t in registry["topics"]]


def test_write_then_check_reports_nothing_stale(repo_root: Path, tmp_path: Path) -> None:
    shutil.copytree(repo_root / "schemas", tmp_path / "schemas")
    assert stale_manifests(tmp_path) == [BOOTSTRAP_SCRIPT]  # nothing rendered yet

    assert write_manifests(tmp_path) == [BOOTSTRAP_SCRIPT]

    assert stale_manifests(tmp_path) == []
    assert write_manifests(tmp_path) == []
    assert (tmp_path / BOOTSTRAP_SCRIPT).stat().st_mode & 0o111, "the script must be executable"
