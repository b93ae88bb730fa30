"""Behaviour of the rendered topic bootstrap script, run by /bin/sh against a stand-in `rpk`.

The stand-in replaces Redpanda's CLI because no Redpanda broker can run here; it keeps a topic
table in a file and logs every invocation, so the script's decisions can be asserted exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from doran.contracts import TOPICS

BOOTSTRAP_SCRIPT = Path("deploy/base/generated/bootstrap-topics.sh")

FAKE_RPK = """\
import json, os, sys
state_path, log_path = os.environ["FAKE_RPK_STATE"], os.environ["FAKE_RPK_LOG"]
topics = json.load(open(state_path)) if os.path.exists(state_path) else {}
args = sys.argv[1:]
with open(log_path, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["cluster", "info"]:
    sys.exit(0)
if args[:2] == ["topic", "list"]:
    print("NAME  PARTITIONS  REPLICAS")
    for name, (partitions, replicas) in topics.items():
        print(f"{name}  {partitions}  {replicas}")
    sys.exit(0)
if args[:2] == ["topic", "create"]:
    name = args[2]
    topics[name] = [int(args[args.index("--partitions") + 1]), int(args[args.index("--replicas") + 1])]
    json.dump(topics, open(state_path, "w"))
    sys.exit(0)
if args[:2] == ["topic", "alter-config"]:
    sys.exit(0 if args[2] in topics else 1)
sys.exit(2)
"""


def _sh(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    sh = shutil.which("sh")
    assert sh is not None
    return subprocess.run([sh, str(script)], env=env, capture_output=True, text=True, check=False)


def _run(tmp_path: Path, repo: Path, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    rpk = bin_dir / "rpk"
    rpk.write_text(f"#!{sys.executable}\n{FAKE_RPK}")
    rpk.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_RPK_STATE": str(tmp_path / "topics.json"),
        "FAKE_RPK_LOG": str(tmp_path / "rpk.log"),
        "RPK_BROKERS": "redpanda:9092",
        **(extra or {}),
    }
    return _sh(repo / BOOTSTRAP_SCRIPT, env)


def _calls(tmp_path: Path, verb: str) -> list[list[str]]:
    lines = (tmp_path / "rpk.log").read_text().splitlines()
    return [call for call in map(json.loads, lines) if call[:2] == ["topic", verb]]


def test_empty_cluster_gets_every_registry_topic_with_its_settings(tmp_path: Path, repo_root: Path) -> None:
    result = _run(tmp_path, repo_root)

    assert result.returncode == 0, result.stderr
    assert _calls(tmp_path, "create") == [
        [
            *("topic", "create", t.name),
            *("--partitions", str(t.partitions), "--replicas", str(t.replication_factor)),
            *("--topic-config", f"retention.ms={t.retention_ms}"),
            *("--topic-config", f"cleanup.policy={t.cleanup_policy}"),
        ]
        for t in TOPICS.values()
    ]


def test_rerun_creates_nothing_and_enforces_retention(tmp_path: Path, repo_root: Path) -> None:
    assert _run(tmp_path, repo_root).returncode == 0
    (tmp_path / "rpk.log").unlink()

    result = _run(tmp_path, repo_root)

    assert result.returncode == 0, result.stderr
    assert _calls(tmp_path, "create") == []
    assert [call[2] for call in _calls(tmp_path, "alter-config")] == list(TOPICS)


def test_partition_count_drift_stops_the_job(tmp_path: Path, repo_root: Path) -> None:
    first = next(iter(TOPICS.values()))
    (tmp_path / "topics.json").write_text(f'{{"{first.name}": [{first.partitions + 1}, 1]}}')

    result = _run(tmp_path, repo_root)

    assert result.returncode != 0
    assert f"topic {first.name} has {first.partitions + 1} partitions" in result.stderr
    assert _calls(tmp_path, "create") == []


def test_missing_broker_address_is_refused_before_any_call(tmp_path: Path, repo_root: Path) -> None:
    result = _run(tmp_path, repo_root, {"RPK_BROKERS": ""})

    assert result.returncode != 0
    assert "set RPK_BROKERS" in result.stderr
    assert not (tmp_path / "rpk.log").exists()


def test_unreachable_broker_gives_up_with_a_message(tmp_path: Path, repo_root: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "rpk").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "rpk").chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RPK_BROKERS": "redpanda:9092",
        "BOOTSTRAP_MAX_ATTEMPTS": "3",
        "BOOTSTRAP_RETRY_SECONDS": "0",
    }
    result = _sh(repo_root / BOOTSTRAP_SCRIPT, env)

    assert result.returncode != 0
    assert "not reachable after 3 attempts" in result.stderr
