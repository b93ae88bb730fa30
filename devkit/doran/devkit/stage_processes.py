"""Stage processes for the demo, the benchmarks and the fault tests: `doran stage NAME` each, configured by
DORAN_* variables exactly as deployed, with its own health port and log.

A stage's /readyz says when it can work, its /metrics gives its counts back, its pid its CPU and memory.
Stopping sends SIGTERM (each stage finishes what it holds), then SIGKILL after a grace period.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from doran.devkit.ports import free_port
from doran.errors import DoranError
from doran.stages.metrics import parse_counts

__all__ = ["StageProcess", "StageProcessError", "StageProcesses"]


class StageProcessError(DoranError):
    """A stage process exited before it was ready, or was not ready in time."""


@dataclass(frozen=True, slots=True)
class StageProcess:
    """One running `doran stage NAME`, its health port and its log file."""

    label: str
    stage: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def status(self, path: str) -> int | None:
        """The HTTP status of GET `path` on its health port; None while it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return None

    def ready(self) -> bool:
        """/readyz answers 200."""
        return self.status("/readyz") == 200

    def counts(self) -> dict[str, Any]:
        """The stage's counts from its /metrics; empty while it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=1) as response:
                return parse_counts(response.read().decode())
        except OSError:
            return {}

    @property
    def exited(self) -> bool:
        return self.process.poll() is not None


class StageProcesses:
    """Stage processes started with `environment` plus each one's own variables; all stopped on exit."""

    def __init__(
        self,
        environment: Mapping[str, str],
        log_dir: Path,
        *,
        cwd: Path | None = None,
        stop_timeout_s: float = 20.0,
    ) -> None:
        self._environment = dict(environment)
        self._log_dir = log_dir
        self._cwd = cwd
        self._stop_timeout_s = stop_timeout_s
        self.started: dict[str, StageProcess] = {}

    def start(self, label: str, stage: str, own: Mapping[str, str] | None = None) -> StageProcess:
        """Start `doran stage <stage>` as `label`, a unique name (replicas differ); it logs to <label>.log."""
        if label in self.started and not self.started[label].exited:
            raise StageProcessError(f"a stage process labelled {label!r} is already running")
        port = free_port()
        log_path = self._log_dir / f"{label}.log"
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "doran.cli", "stage", stage],
                env={**self._environment, **(own or {}), "DORAN_HEALTH_PORT": str(port)},
                cwd=self._cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started[label] = StageProcess(label, stage, process, port, log_path)
        return self.started[label]

    def ready(self) -> bool:
        """Whether every running stage answers /readyz with 200."""
        return all(stage.ready() for stage in self.started.values() if not stage.exited)

    def counts(self) -> dict[str, dict[str, Any]]:
        """Every stage's counts, from its /metrics, by label."""
        return {label: stage.counts() for label, stage in self.started.items()}

    def exited(self) -> list[str]:
        """Labels of the stages whose process has exited."""
        return [label for label, stage in self.started.items() if stage.exited]

    def wait_until_ready(self, timeout_s: float = 60.0) -> None:
        """Block until every stage is ready; StageProcessError if one exits first or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            dead = self.exited()
            if dead:
                logs = ", ".join(str(self.started[label].log_path) for label in dead)
                raise StageProcessError(f"stage(s) {dead} exited before they were ready; see {logs}")
            if self.ready():
                return
            time.sleep(0.1)
        raise StageProcessError(f"stages {list(self.started)} were not all ready within {timeout_s:g} s")

    def stop(self, label: str | None = None) -> None:
        """SIGTERM the stage `label` (default: every one), SIGKILL after the grace period; waits for exit."""
        chosen = [self.started[label]] if label is not None else list(self.started.values())
        for stage in chosen:
            if not stage.exited:
                stage.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout_s
        for stage in chosen:
            try:
                stage.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stage.process.kill()
                stage.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
