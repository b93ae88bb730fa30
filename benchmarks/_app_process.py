"""One measured app in a process of its own, so its CPU and peak memory are that app's alone.

The bench process holds every input in memory and runs many measurements: its peak RSS says
nothing about a stage. So each throughput measurement starts `python -m benchmarks._app_run JOB.json`
(benchmarks/_app_run.py), which runs one app as the stage would run, times it where it consumes
(its own StageMetrics / the identity `apply`), and writes its figures and peak RSS to result.json.
execute runs until SIGTERM (the bench times it where its results become readable).
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._defaults import stage_environment
from benchmarks._errors import BenchmarkError

__all__ = ["TIMEOUT_S", "AppJob", "AppProcess", "app_process"]

_ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 180.0


@dataclass(frozen=True, slots=True)
class AppJob:
    """What to run: app (identity | shell | normalize | decide | ingest | execute) on broker, until N."""

    app: str
    broker: str
    run_dir: Path
    expected: int
    headers: list[tuple[str, bytes]] = field(default_factory=list)  # shell: what it forwards with
    recording: Path | None = None  # ingest: the frames it reads
    registry: str | None = None  # the schema registry the stages look up their schema ids in

    @property
    def path(self) -> Path:
        return self.run_dir / "job.json"

    @property
    def result_path(self) -> Path:
        return self.run_dir / "result.json"

    def dump(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        document = {
            "app": self.app,
            "broker": self.broker,
            "run_dir": str(self.run_dir),
            "expected": self.expected,
            "headers": [[name, value.hex()] for name, value in self.headers],
            "recording": None if self.recording is None else str(self.recording),
            "registry": self.registry,
        }
        self.path.write_text(json.dumps(document))

    @classmethod
    def load(cls, path: Path) -> AppJob:
        document = json.loads(path.read_text())
        return cls(
            document["app"],
            document["broker"],
            Path(document["run_dir"]),
            document["expected"],
            [(name, bytes.fromhex(value)) for name, value in document["headers"]],
            None if document["recording"] is None else Path(document["recording"]),
            document["registry"],
        )


class AppProcess:
    """The running child: its pid while it lives, a stop request, and its result.json once it is done."""

    def __init__(self, job: AppJob) -> None:
        self.job = job
        job.dump()
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks._app_run", str(job.path)],
                cwd=_ROOT,
                env=stage_environment(),  # the defaults, whatever this shell exports
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def log(self) -> Path:
        return self.job.run_dir / "app.log"

    @property
    def pid(self) -> int:
        return self._process.pid

    def exited(self) -> bool:
        return self._process.poll() is not None

    def stop(self) -> None:
        """SIGTERM: execute finishes and commits the batch in hand, then returns."""
        if not self.exited():
            self._process.send_signal(signal.SIGTERM)

    def result(self, timeout_s: float = TIMEOUT_S + 60) -> dict[str, Any]:
        """Wait for the child to end and return what it wrote; BenchmarkError if it failed."""
        try:
            code = self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise BenchmarkError(f"{self.job.app} did not finish; see {self.log}") from None
        if code != 0 or not self.job.result_path.exists():
            raise BenchmarkError(f"{self.job.app} exited with {code}; see {self.log}")
        result: dict[str, Any] = json.loads(self.job.result_path.read_text())
        return result

    def kill(self) -> None:
        """End a child still running (a failed measurement); nothing once it has exited."""
        if not self.exited():
            self._process.kill()
            self._process.wait()


@contextlib.contextmanager
def app_process(job: AppJob) -> Iterator[AppProcess]:
    """Start the child for `job`; it is killed if the block fails before it ended."""
    process = AppProcess(job)
    try:
        yield process
    finally:
        process.kill()
