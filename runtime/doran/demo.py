"""`doran demo`: the whole pipeline on one machine, with live progress and a reconciled summary.

Starts a broker (embedded unless DORAN_BROKER_ADDRESS is set), the normalize, decide and execute
stages as separate processes, replays a recording through ingest in this process, follows each
stage's /metrics until every stage has drained, prints per-topic counts read back from the
topics, and stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from doran.broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker, create_topics, settings_environment
from doran.contracts import TOPICS
from doran.demo_summary import TopicTally, read_topics, summary_tables
from doran.relay import RecordingFeed
from doran.settings import Settings
from doran.stages.ingest import STAGE as INGEST
from doran.stages.ingest import run_ingest
from doran.stages.metrics import StageMetrics, parse_counts

__all__ = ["run_demo"]

_CONSUMERS = ("normalize", "decide", "execute")
_DRAIN_TIMEOUT_S = 240.0


@contextlib.contextmanager
def _broker(settings: Settings, work_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The broker address and the settings overrides its consumers need."""
    if settings.broker_address:
        yield settings.broker_address, {}
        return
    with EmbeddedBroker(log_path=work_dir / "logs" / "tansu.log") as embedded:
        yield embedded.address, dict(EMBEDDED_BROKER_SETTINGS)


def _free_port() -> int:
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


def _progress(
    ingest: StageMetrics, ports: dict[str, int], started: float
) -> tuple[Table, dict[str, dict[str, Any]]]:
    counts = {INGEST: ingest.snapshot(), **{stage: scrape(port) for stage, port in ports.items()}}
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
    upstream = counts[INGEST].get("produced", 0)
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
    with _broker(settings, work_dir) as (address, broker_settings):
        create_topics(address, TOPICS.values())
        prefix = f"doran-demo-{int(time.time())}"
        ports = {stage: _free_port() for stage in _CONSUMERS}
        env = {
            **os.environ,
            **settings_environment(broker_settings),
            "DORAN_BROKER_ADDRESS": address,
            "EXECUTOR_STATE_DIR": str(work_dir / "executor-state"),
            "DORAN_CONSUMER_GROUP_PREFIX": prefix,
        }
        console.print(f"broker {address}; logs in {work_dir / 'logs'}")
        processes = {
            stage: _spawn(
                ["stage", stage], {**env, "DORAN_HEALTH_PORT": str(port)}, work_dir / "logs" / f"{stage}.log"
            )
            for stage, port in ports.items()
        }
        ingest = StageMetrics(INGEST)
        replay_settings = settings.model_copy(update={"consumer_group_prefix": prefix, **broker_settings})
        replay = threading.Thread(
            target=run_ingest,
            args=(replay_settings, address, RecordingFeed(recording), ingest),
            name="replay",
        )
        started = time.monotonic()
        replay.start()
        try:
            with Live(console=console, refresh_per_second=4) as live:
                while True:
                    table, counts = _progress(ingest, ports, started)
                    live.update(table)
                    crashed = [s for s, p in processes.items() if p.poll() is not None]
                    if crashed:
                        console.print(f"[red]stage(s) {', '.join(crashed)} exited; see {work_dir / 'logs'}")
                        return 1
                    if _drained(counts, not replay.is_alive()):
                        break
                    if time.monotonic() - started > _DRAIN_TIMEOUT_S:
                        console.print("[red]the pipeline did not drain in time")
                        return 1
                    time.sleep(0.25)
            _, counts = _progress(ingest, ports, started)
        finally:
            replay.join()
            _stop(processes)
        tallies: dict[str, TopicTally] = read_topics(address, list(TOPICS))
        for table in summary_tables(tallies, counts):
            console.print(table)
    return 0
