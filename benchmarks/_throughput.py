"""Throughput of the identity yardstick and of each stage, each on its own fresh embedded broker, each
app in a process of its own (benchmarks/_app_process.py).

Quix apps (identity, shell, normalize, decide) are timed where they consume: from the first consumed
message to the last, so the group join is outside the window. ingest is timed the same way, by its
StageMetrics' consumed count. execute is timed where its results become readable (read_committed):
it commits a transaction per batch, so a result is only done once readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks._app_process import TIMEOUT_S, AppJob, app_process
from benchmarks._apps import app_settings
from benchmarks._errors import BenchmarkError
from benchmarks._inputs import StageInputs
from benchmarks._kafka import fresh_broker, produce_records, watch_output
from benchmarks._procfs import cpu_seconds
from benchmarks._state_size import StateSize, state_size
from benchmarks._stopwatch import Stopwatch
from doran.contracts import EXEC_TRADE_RESULT, RAW_NEAR_INTENTS_QUOTE
from doran.venues import read_execution_log, simulated_venue_log

__all__ = ["MEASURES", "Throughput", "measure"]


@dataclass(frozen=True, slots=True)
class Throughput:
    """One throughput measurement: messages counted in the window, its length, their ratio, and what
    the app's process used (CPU per message over the window, peak resident memory over its life)."""

    name: str
    messages: int
    window_s: float
    rate: float
    timed_at: str
    cpu_us_per_msg: float
    peak_rss_mib: float
    state: StateSize | None = None  # execute: its state file once it stopped, and the commands in it


def _timed_in_app(name: str, job: AppJob, timed_at: str) -> Throughput:
    with app_process(job) as process:
        r = process.result()
    return Throughput(
        name, r["counted"], r["window_s"], r["rate"], timed_at, r["cpu_us_per_msg"], r["peak_rss_mib"]
    )


def _quix(inputs: StageInputs, run_dir: Path, name: str) -> Throughput:
    records = {"identity": inputs.raw, "shell": inputs.raw, "normalize": inputs.raw, "decide": inputs.demands}
    with fresh_broker(run_dir / "tansu.log") as broker:
        produce_records(broker.address, records[name], broker.framing)
        # The shell forwards each raw quote with a demand's headers: as many as a stage sends.
        headers = list(inputs.demands[0].headers) if name == "shell" else []
        job = AppJob(name, broker.address, run_dir, len(inputs.frames), headers, registry=broker.registry)
        return _timed_in_app(name, job, "consumed (in the app)")


def _execute(inputs: StageInputs, run_dir: Path) -> Throughput:
    n = len(inputs.commands)
    with fresh_broker(run_dir / "tansu.log") as broker:
        address = broker.address
        produce_records(address, inputs.commands, broker.framing)
        with app_process(AppJob("execute", address, run_dir, n, registry=broker.registry)) as process:
            # Timed here, but the CPU is the execute process's (read from /proc at each tick).
            watch = Stopwatch(cpu=lambda: cpu_seconds(process.pid))
            try:
                watch_output(
                    address, EXEC_TRADE_RESULT.name, n, watch, timeout_s=TIMEOUT_S, abort=process.exited
                )
            except BenchmarkError as exc:
                if process.exited():
                    raise BenchmarkError(f"execute stopped early; see {run_dir / 'app.log'}") from exc
                raise
            finally:
                process.stop()
            result = process.result(60)
    executed = len(read_execution_log(simulated_venue_log(app_settings(address, run_dir))))
    state = state_size(app_settings(address, run_dir).executor_state_dir)
    if executed != n or result["counts"]["produced"] != n:  # every command reached the venue log once
        raise BenchmarkError(
            f"the simulated venue logged {executed} executions and the stage counted "
            f"{result['counts']} for {n} commands"
        )
    return Throughput(
        "execute",
        watch.counted,
        watch.window_s,
        watch.rate,
        "committed results",
        watch.cpu_us_per_msg,
        result["peak_rss_mib"],
        state,
    )


def _ingest(inputs: StageInputs, run_dir: Path) -> Throughput:
    n = len(inputs.frames)
    recording = run_dir / "recording.jsonl"
    recording.write_bytes(b"".join(frame + b"\n" for frame in inputs.frames))
    with fresh_broker(run_dir / "tansu.log") as broker:
        job = AppJob("ingest", broker.address, run_dir, n, recording=recording, registry=broker.registry)
        found = _timed_in_app("ingest", job, "frames counted (its StageMetrics)")
        # Everything ingest counted must also have reached the broker.
        watch_output(broker.address, RAW_NEAR_INTENTS_QUOTE.name, n, Stopwatch(), timeout_s=TIMEOUT_S)
    return found


MEASURES: dict[str, Callable[[StageInputs, Path], Throughput]] = {
    "identity": lambda inputs, run_dir: _quix(inputs, run_dir, "identity"),
    "shell": lambda inputs, run_dir: _quix(inputs, run_dir, "shell"),
    "normalize": lambda inputs, run_dir: _quix(inputs, run_dir, "normalize"),
    "decide": lambda inputs, run_dir: _quix(inputs, run_dir, "decide"),
    "execute": _execute,
    "ingest": _ingest,
}


def measure(name: str, inputs: StageInputs, run_dir: Path) -> Throughput:
    """Measure one of MEASURES on a fresh broker, with its files under run_dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return MEASURES[name](inputs, run_dir)
