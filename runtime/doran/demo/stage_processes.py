"""The demo's stage processes: `doran stage <name>` each, with its own health port, log and environment."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from doran.stages.metrics import parse_counts

__all__ = ["StageProcesses", "free_port", "scrape"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def scrape(port: int) -> dict[str, Any]:
    """A stage's counts read from its /metrics (empty until it serves them)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as response:
            return parse_counts(response.read().decode())
    except OSError:
        return {}


def _status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


class StageProcesses:
    """Starts each stage with `environment` plus its own; SIGTERM (then SIGKILL after 20 s) on exit."""

    def __init__(self, stages: dict[str, dict[str, str]], environment: dict[str, str], log_dir: Path) -> None:
        self.ports = {stage: free_port() for stage in stages}
        self._specs = stages
        self._environment = environment
        self._log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Self:
        for stage, own in self._specs.items():
            env = {**self._environment, **own, "DORAN_HEALTH_PORT": str(self.ports[stage])}
            with (self._log_dir / f"{stage}.log").open("wb") as log:
                self.processes[stage] = subprocess.Popen(
                    [sys.executable, "-m", "doran.cli", "stage", stage],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        return self

    def ready(self) -> bool:
        """Whether every stage answers /readyz with 200 (its partitions are assigned)."""
        return all(_status(port, "/readyz") == 200 for port in self.ports.values())

    def counts(self) -> dict[str, dict[str, Any]]:
        """Every stage's counts, from its /metrics."""
        return {stage: scrape(port) for stage, port in self.ports.items()}

    def exited(self) -> list[str]:
        """Stages whose process has exited."""
        return [stage for stage, process in self.processes.items() if process.poll() is not None]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                process.kill()
                process.wait()
