"""`doran demo`: the whole pipeline on one machine, with live progress and a reconciled summary.

Starts a broker (embedded unless DORAN_BROKER_ADDRESS is set), the normalize, decide and execute
stages as separate processes, replays a recording through ingest, waits until every stage has
drained, prints per-topic counts read back from the topics, and stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from doran.broker import EmbeddedBroker, create_topics
from doran.contracts import TOPICS
from doran.demo_summary import TopicTally, read_topics, summary_tables
from doran.settings import Settings
from doran.stages.counters import read_counters

__all__ = ["run_demo"]

_CONSUMERS = ("normalize", "decide", "execute")
_DRAIN_TIMEOUT_S = 240.0


@contextlib.contextmanager
def _broker(settings: Settings, work_dir: Path) -> Iterator[str]:
    if settings.broker_address:
        yield settings.broker_address
        return
    with EmbeddedBroker(log_path=work_dir / "logs" / "tansu.log") as embedded:
        yield embedded.address


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "doran.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.1, deadline - time.monotonic()))
        if process.poll() is None:
            process.kill()
            process.wait()


def _progress(stats_dir: Path, started: float) -> tuple[Table, dict[str, dict[str, Any]]]:
    counts = {stage: read_counters(stats_dir, stage) or {} for stage in ("ingest", *_CONSUMERS)}
    table = Table(title=f"doran demo — {time.monotonic() - started:5.1f} s", expand=False)
    for column in ("stage", "consumed", "produced", "declined", "dead-lettered", "skipped"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage, c in counts.items():
        table.add_row(
            stage,
            str(c.get("consumed", 0)),
            str(c.get("produced", 0)),
            str(sum(c.get("declined", {}).values())),
            str(sum(c.get("dead_lettered", {}).values())),
            str(c.get("skipped_duplicates", 0)),
        )
    return table, counts


def _drained(counts: dict[str, dict[str, Any]], ingest_done: bool) -> bool:
    """Every stage has consumed everything its upstream produced."""
    if not ingest_done:
        return False
    upstream = counts["ingest"].get("produced", 0)
    for stage in _CONSUMERS:
        if counts[stage].get("consumed", 0) < upstream:
            return False
        upstream = counts[stage].get("produced", 0)
    return True


def run_demo(recording: Path, work_dir: Path, settings: Settings) -> int:
    """Run the demo; 0 when every record is accounted for, 1 otherwise."""
    console = Console()
    shutil.rmtree(work_dir, ignore_errors=True)
    (work_dir / "logs").mkdir(parents=True)
    stats_dir = work_dir / "stats"
    with _broker(settings, work_dir) as address:
        create_topics(address, TOPICS)
        env = {
            **os.environ,
            "DORAN_BROKER_ADDRESS": address,
            "DORAN_STATS_DIR": str(stats_dir),
            "EXECUTOR_STATE_DIR": str(work_dir / "executor-state"),
            "DORAN_CONSUMER_GROUP_PREFIX": f"doran-demo-{int(time.time())}",
        }
        console.print(f"broker {address}; logs in {work_dir / 'logs'}")
        processes = {s: _spawn(["stage", s], env, work_dir / "logs" / f"{s}.log") for s in _CONSUMERS}
        processes["ingest"] = _spawn(["replay", str(recording)], env, work_dir / "logs" / "ingest.log")
        started = time.monotonic()
        try:
            with Live(console=console, refresh_per_second=4) as live:
                while True:
                    table, counts = _progress(stats_dir, started)
                    live.update(table)
                    crashed = [s for s, p in processes.items() if p.poll() not in (None, 0)]
                    if crashed:
                        console.print(f"[red]stage(s) {', '.join(crashed)} exited; see {work_dir / 'logs'}")
                        return 1
                    if _drained(counts, processes["ingest"].poll() == 0):
                        break
                    if time.monotonic() - started > _DRAIN_TIMEOUT_S:
                        console.print("[red]the pipeline did not drain in time")
                        return 1
                    time.sleep(0.25)
        finally:
            _stop(processes)
        tallies: dict[str, TopicTally] = read_topics(address, list(TOPICS))
        _, counts = _progress(stats_dir, started)
        for table in summary_tables(tallies, counts):
            console.print(table)
    return 0
