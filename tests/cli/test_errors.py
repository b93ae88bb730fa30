"""Every `doran` command meets bad input the same way: one line on stderr naming the variable, path or
argument at fault, exit code 2, no traceback, no warning, no usage block; a secret never shows.

Each case runs `doran` as a user does, in a process of its own started in an empty directory: what
the process prints on import (a dependency's warning) is part of what is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "samples" / "relay-quotes.jsonl")
SECRET = "ed25519:5ecretKeyThatMustNeverShow"
NO_BROKER = "127.0.0.1:1"  # nothing listens there; no case reaches a broker


def _files(directory: Path) -> dict[str, Path]:
    (directory / "not-a-policy.json").write_text('{"name": "demo", "pairs": [{"asset": 1}]}')
    (directory / "torn.json").write_text('{"name":')
    (directory / "a-file").write_text("not a folder")
    return {p.name: p for p in directory.iterdir()}


# (id, arguments, environment, what stderr must name); {name} is a file of _files, {dir} the directory.
CASES: list[tuple[str, list[str], dict[str, str], str]] = [
    # Bad settings: the variable the user set, whatever command reads it.
    ("linger-not-a-number", ["settings"], {"DORAN_PRODUCER_LINGER_MS": "abc"}, "DORAN_PRODUCER_LINGER_MS"),
    (
        "linger-negative",
        ["stage", "normalize"],
        {"DORAN_PRODUCER_LINGER_MS": "-5"},
        "DORAN_PRODUCER_LINGER_MS",
    ),
    (
        "venue-unknown",
        ["stage", "execute"],
        {"DORAN_VENUE": "foo", "DORAN_NEAR_SIGNING_KEY": SECRET},
        "DORAN_VENUE",
    ),
    ("seed-state-dir-empty", ["stage", "execute"], {"EXECUTOR_STATE_DIR": ""}, "EXECUTOR_STATE_DIR"),
    ("port-not-a-number", ["dlq", "replay", "--dry-run"], {"DORAN_HEALTH_PORT": "x"}, "DORAN_HEALTH_PORT"),
    (
        "frame-limit-too-small",
        ["record", "{dir}/out.jsonl"],
        {"DORAN_RELAY_MAX_FRAME_BYTES": "1"},
        "DORAN_RELAY_MAX_FRAME_BYTES",
    ),
    (
        "demo-commit-interval-zero",
        ["demo", "--recording", SAMPLE],
        {"DORAN_COMMIT_INTERVAL_S": "0"},
        "DORAN_COMMIT_INTERVAL_S",
    ),
    (
        "answer-timeout-vs-poll",
        ["stage", "execute"],
        {"DORAN_RELAY_ANSWER_TIMEOUT_MS": "200000"},
        "DORAN_MAX_POLL_INTERVAL_MS",
    ),
    ("no-broker", ["dlq", "replay", "--dry-run"], {}, "DORAN_BROKER_ADDRESS"),
    ("no-broker-stage", ["stage", "decide"], {}, "DORAN_BROKER_ADDRESS"),
    # A stage writing topics framed `confluent` looks up their schema ids before anything else.
    ("no-registry-stage", ["stage", "normalize"], {"DORAN_BROKER_ADDRESS": NO_BROKER}, "DORAN_REGISTRY_URL"),
    (
        "registry-unreachable",
        ["stage", "ingest"],
        {"DORAN_BROKER_ADDRESS": NO_BROKER, "DORAN_REGISTRY_URL": "http://127.0.0.1:1"},
        "schema registry unreachable at http://127.0.0.1:1",
    ),
    # Bad files: the file, and what is wrong in it.
    (
        "policy-invalid",
        ["stage", "decide"],
        {"DORAN_BROKER_ADDRESS": NO_BROKER, "DORAN_POLICY_FILE": "{not-a-policy.json}"},
        "not-a-policy.json",
    ),
    (
        "policy-not-json",
        ["stage", "decide"],
        {"DORAN_BROKER_ADDRESS": NO_BROKER, "DORAN_POLICY_FILE": "{torn.json}"},
        "torn.json",
    ),
    ("export-into-a-file", ["schemas", "export", "{a-file}"], {}, "a-file"),
    # Missing files: the path.
    (
        "policy-missing",
        ["stage", "decide"],
        {"DORAN_BROKER_ADDRESS": NO_BROKER, "DORAN_POLICY_FILE": "{dir}/gone.json"},
        "gone.json",
    ),
    (
        "validate-missing-file",
        ["contracts", "validate", "norm.swap_demand", "{dir}/gone.json"],
        {},
        "gone.json",
    ),
    ("demo-outside-the-checkout", ["demo"], {}, "samples/relay-quotes.jsonl"),
    ("play-missing-recording", ["play", "{dir}/gone.jsonl"], {}, "gone.jsonl"),
    (
        "gate-against-missing-folder",
        ["contracts", "check", "--repo", str(ROOT), "--against", "{dir}/gone"],
        {},
        "gone",
    ),
    # Bad arguments: the argument or option.
    ("unknown-stage", ["stage", "nope"], {}, "nope"),
    ("unknown-topic", ["contracts", "validate", "no.such.topic", "{a-file}"], {}, "no.such.topic"),
    ("timeout-zero", ["dlq", "replay", "--timeout", "0"], {}, "--timeout"),
    ("gate-without-a-baseline", ["contracts", "check"], {}, "--against"),
    ("unknown-option", ["--bogus"], {}, "--bogus"),
    ("validate-without-files", ["contracts", "validate", "norm.swap_demand"], {}, "FILEs"),
    ("speed-without-timed", ["play", SAMPLE, "--speed", "2"], {"DORAN_BROKER_ADDRESS": NO_BROKER}, "--timed"),
]


def _expand(text: str, files: dict[str, Path], directory: Path) -> str:
    for name, path in [("dir", directory), *files.items()]:
        text = text.replace(f"{{{name}}}", str(path))
    return text


@pytest.mark.parametrize(
    ("arguments", "environment", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_line_on_stderr_naming_its_cause_with_exit_code_2(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], named: str
) -> None:
    files = _files(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DORAN_") and k != "EXECUTOR_STATE_DIR"}
    env |= {key: _expand(value, files, tmp_path) for key, value in environment.items()}
    result = subprocess.run(
        [sys.executable, "-m", "doran.cli", *(_expand(a, files, tmp_path) for a in arguments)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stderr.splitlines()
    assert (result.returncode, len(lines)) == (2, 1), result.stderr
    assert lines[0].startswith("error: ") and named in lines[0], lines[0]
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert "5ecretKey" not in result.stderr + result.stdout
