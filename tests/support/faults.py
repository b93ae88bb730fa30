"""Helpers of the fault tests (tests/faults): the stage processes' environment, their probes, their
lifecycle log and how they ended."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from doran.devkit.embedded_broker import stage_environment as embedded_stage_environment
from doran.devkit.stage_processes import StageProcess
from support.registry import published_registry

__all__ = ["CHANGE_S", "READY_S", "exited_with_one_line", "lifecycle_events", "probes", "stage_environment"]

#: Bounds of the waits: generous for a loaded 2-core machine, never reached when things work.
READY_S = 120.0
CHANGE_S = 90.0


def stage_environment(address: str, relay_url: str, work: Path, **overrides: object) -> dict[str, str]:
    """The environment of the stage processes: the embedded broker's (`doran.devkit.embedded_broker`) with
    the broker, the relay, the registry holding this build's schemas, a state directory under `work`, and
    `overrides` (Settings field names)."""
    return {
        **embedded_stage_environment(overrides),
        "DORAN_BROKER_ADDRESS": address,
        "DORAN_RELAY_URL": relay_url,
        "DORAN_REGISTRY_URL": published_registry(),
        "DORAN_QUIX_STATE_DIR": str(work / "quix"),
    }


def log_text(stage: StageProcess) -> str:
    return stage.log_path.read_text(errors="replace")


def exited_with_one_line(stage: StageProcess) -> str:
    """The one line a stage that exited left as its last words; fails the test on a native crash, a
    traceback or an exit that is not doran's (code 2 with `error: ...`)."""
    code = stage.process.poll()
    assert code is not None, f"{stage.label} is still running"
    assert code >= 0, f"{stage.label} died of signal {-code} (a native crash?); see {stage.log_path}"
    text = log_text(stage)
    assert "Traceback" not in text, f"{stage.label} logged a traceback; see {stage.log_path}"
    last = [line for line in text.splitlines() if line.strip()][-1]
    assert (code, last.startswith("error: ")) == (2, True), f"{stage.label}: exit {code}, last line {last!r}"
    return last


def lifecycle_events(stage: StageProcess) -> list[str]:
    """The lifecycle events a stage logged, in order (`event=<name>` of each doran.lifecycle line)."""
    return [
        line.split("event=", 1)[1].split(" ", 1)[0]
        for line in log_text(stage).splitlines()
        if "[doran.lifecycle]" in line
    ]


def probes(stages: Mapping[str, StageProcess]) -> dict[str, tuple[int | None, int | None]]:
    """(/healthz, /readyz) of each stage; None where it does not answer."""
    return {label: (stage.status("/healthz"), stage.status("/readyz")) for label, stage in stages.items()}
