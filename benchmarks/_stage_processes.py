"""The normalize, decide and execute processes of a latency run: `doran stage X`, configured by DORAN_*
variables exactly as deployed, plus the embedded broker's overrides and a health port each.

Their /readyz says when they have their partitions; their /metrics gives their counts back.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._errors import BenchmarkError
from doran.stages.metrics import parse_counts

__all__ = ["STAGES", "StageProcess", "stage_processes", "wait_until_ready"]

STAGES = ("normalize", "decide", "execute")


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
        """/readyz: the stage has partitions assigned (from librdkafka's statistics)."""
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


@contextlib.contextmanager
def stage_processes(
    env: Mapping[str, str], overrides: Sequence[str], run_dir: Path
) -> Iterator[dict[str, StageProcess]]:
    """Start every stage with `env` plus `overrides` (DORAN_* settings as KEY=VALUE); SIGTERM at the end."""
    settings = dict(override.split("=", 1) for override in overrides)
    stages = {name: _spawn(name, {**env, **settings}, run_dir) for name in STAGES}
    try:
        yield stages
    finally:
        for stage in stages.values():
            if stage.process.poll() is None:
                stage.process.send_signal(signal.SIGTERM)
        for stage in stages.values():
            try:
                stage.process.wait(20)
            except subprocess.TimeoutExpired:
                stage.process.kill()
                stage.process.wait()


def wait_until_ready(stages: Mapping[str, StageProcess], timeout_s: float = 60.0) -> None:
    """Block until every stage reports ready (tansu joins take ~3 s with the embedded broker's settings)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = [name for name, stage in stages.items() if stage.process.poll() is not None]
        if dead:
            raise BenchmarkError(f"stage(s) {dead} exited before they were ready; see their logs")
        if all(stage.ready() for stage in stages.values()):
            return
        time.sleep(0.25)
    raise BenchmarkError(f"stages {list(stages)} were not all ready within {timeout_s:g} s")
