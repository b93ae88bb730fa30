"""Lifecycle lines: one structured line per event, parseable as key=value, never a secret."""

from __future__ import annotations

import logging
import shlex

import pytest
from pydantic import SecretStr

from doran.stages.lifecycle import Lifecycle, lifecycle_line


def test_a_line_is_key_value_pairs_a_shell_splits_back() -> None:
    line = lifecycle_line(
        "failed",
        "normalize",
        {
            "reason": 'topic "x" is gone; exiting',
            "partitions": ["raw/0", "raw/1"],
            "count": 3,
            "static": True,
        },
    )
    assert line.startswith("event=failed stage=normalize ")
    pairs = dict(part.split("=", 1) for part in shlex.split(line))
    assert pairs == {
        "event": "failed",
        "stage": "normalize",
        "reason": 'topic "x" is gone; exiting',
        "partitions": "raw/0,raw/1",
        "count": "3",
        "static": "true",
    }


def test_a_secret_is_never_rendered() -> None:
    line = lifecycle_line("start", "ingest", {"key": SecretStr("hunter2"), "absent": None})
    assert "hunter2" not in line
    assert 'key="[redacted]"' in line and "absent=none" in line


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lifecycle event 'exploded'"):
        lifecycle_line("exploded", "ingest", {})  # type: ignore[arg-type]


def test_events_are_logged_at_info_and_failures_at_error(caplog: pytest.LogCaptureFixture) -> None:
    lifecycle = Lifecycle("decide")
    with caplog.at_level(logging.INFO, logger="doran.lifecycle"):
        lifecycle.log("ready")
        lifecycle.log("failed", reason="broker gone")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "event=ready stage=decide"),
        (logging.ERROR, 'event=failed stage=decide reason="broker gone"'),
    ]
