"""The stage processes of a latency run: `doran stage X` each, configured by DORAN_* variables exactly as
deployed, with its own health port and log.

Their /readyz says when they can work (a consuming stage: partitions assigned; ingest: connected and
subscribed to the relay); their /metrics gives their counts back; their pid gives CPU and memory.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._errors import BenchmarkError
from doran.stages.metrics import parse_counts

__all__ = ["STAGES", "StageProcess", "stage_processes", "stop", "wait_until_ready"]

#: Every stage of the pipeline, in the order a quote passes them.
STAGES = ("ingest", "normalize", "decide", "execute")
_STOP_S = 20.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class StageProcess:
    """One running `doran stage X` and the port of its health endpoint."""

    name: str
    process: subprocess.Popen[bytes]
    port: int

    def _get(self, path: str) -> bytes | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1) as response:
                body: bytes = response.read()
                return body
        except OSError:  # not listening yet, or 503 (HTTPError is an OSError)
            return None

    def ready(self) -> bool:
        """/readyz answers 200."""
        return self._get("/readyz") is not None

    def counts(self) -> dict[str, Any]:
        """The stage's counts from its /metrics; empty if it does not answer."""
        body = self._get("/metrics")
        return {} if body is None else parse_counts(body.decode())


def _spawn(name: str, env: Mapping[str, str], run_dir: Path) -> StageProcess:
    port = _free_port()
    with (run_dir / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "doran.cli", "stage", name],
            env={**env, "DORAN_HEALTH_PORT": str(port)},
            cwd=run_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return StageProcess(name, process, port)


def stop(stages: Mapping[str, StageProcess]) -> None:
    """SIGTERM every stage still running (each finishes what it holds), SIGKILL after 20 s."""
    for stage in stages.values():
        if stage.process.poll() is None:
            stage.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_S
    for stage in stages.values():
        try:
            stage.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stage.process.kill()
            stage.process.wait()


@contextlib.contextmanager
def stage_processes(
    env: Mapping[str, str], own: Mapping[str, Mapping[str, str]], run_dir: Path
) -> Iterator[dict[str, StageProcess]]:
    """Start each stage named in `own` with `env` plus its own variables; stopped at the end (`stop`)."""
    stages = {name: _spawn(name, {**env, **extra}, run_dir) for name, extra in own.items()}
    try:
        yield stages
    finally:
        stop(stages)


def wait_until_ready(stages: Mapping[str, StageProcess], timeout_s: float = 60.0) -> None:
    """Block until every stage reports ready (tansu joins take ~3 s with the embedded broker's settings)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = [name for name, stage in stages.items() if stage.process.poll() is not None]
        if dead:
            raise BenchmarkError(f"stage(s) {dead} exited before they were ready; see their logs")
        if all(stage.ready() for stage in stages.values()):
            return
        time.sleep(0.1)
    raise BenchmarkError(f"stages {list(stages)} were not all ready within {timeout_s:g} s")
