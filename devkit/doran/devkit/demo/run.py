"""`doran demo`: the whole loop on one machine, with live progress and a reconciled summary.

A broker (embedded unless DORAN_BROKER_ADDRESS is set), a schema registry holding this build's schemas
(the dev registry unless DORAN_REGISTRY_URL is set, which is published to) and the relay simulator (a
websocket on 127.0.0.1 that verifies every signature as intents.near would) start in this process, with a
solver key made for this run and registered there. The normalize, decide and execute stages run
as processes (`doran stage ...`), the executor on the NEAR Intents venue pointed at the simulator;
ingest runs here, subscribed to the simulator like a live relay. A recording is played through
the simulator at a steady rate; the demo follows every stage's /metrics until the last quote is
filled or expired, then reads the topics back and reconciles them with the simulator's journal.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from doran.broker import create_topics
from doran.contracts import EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE, RAW_NEAR_INTENTS_QUOTE_STATUS, TOPICS
from doran.devkit.demo.broadcast import Broadcast, broadcast, plan_broadcast
from doran.devkit.demo.options import DemoOptions
from doran.devkit.demo.screen import demo_console, print_tables, progress
from doran.devkit.demo.solver_identity import DemoSolver
from doran.devkit.demo.summary import answer_latencies_ms, reconcile, stage_count_cells, summary_tables
from doran.devkit.demo.topic_tally import read_topics
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker, settings_environment
from doran.devkit.recording import read_recording
from doran.devkit.relay_simulator import RelaySimulator, SimulatorThread
from doran.devkit.schema_registry import published_registry
from doran.devkit.stage_processes import StageProcesses
from doran.relay import LiveRelayFeed
from doran.settings import Settings
from doran.stages.ingest import STAGE as INGEST
from doran.stages.ingest import run_ingest
from doran.stages.metrics import StageMetrics

__all__ = ["run_demo"]

#: Two executor replicas share the commands' partitions; one settlement stage settles their quotes.
_EXECUTORS = ("execute-0", "execute-1")


@contextlib.contextmanager
def _broker(settings: Settings, work_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The broker address and the settings overrides its consumers need."""
    if settings.broker_address:
        yield settings.broker_address, {}
        return
    with EmbeddedBroker(log_path=work_dir / "logs" / "tansu.log") as embedded:
        yield embedded.address, dict(EMBEDDED_BROKER_SETTINGS)


def _every_fourth(quote_id: str) -> bool:
    """Quotes whose settlement the simulator delivers twice: duplicates must change nothing."""
    return sum(quote_id.encode()) % 4 == 0


def _stage(counts: Mapping[str, Mapping[str, Any]], labels: tuple[str, ...]) -> dict[str, int]:
    """A stage's counts summed over its processes (its replicas): what it consumed, produced, kept."""
    total: dict[str, int] = {"consumed": 0, "produced": 0, "awaiting_settlement": 0}
    for label in labels:
        c = counts.get(label) or {}
        for key in total:
            total[key] += int(c.get(key) or 0)
        for topic, n in c.get("produced_by_topic", {}).items():
            total[f"produced:{topic}"] = total.get(f"produced:{topic}", 0) + int(n)
    return total


def _progress(counts: Mapping[str, Mapping[str, Any]], started: float) -> Table:
    """Each stage's counts so far (its /metrics), as the summary's stage table names them."""
    elapsed = time.monotonic() - started
    table = Table(title=f"doran demo: each stage's counts after {elapsed:.1f} s", title_justify="left")
    columns = (
        "consumed",
        "published",
        "declined",
        "dead-lettered",
        "skipped",
        "kept",
        "records written",
        "awaiting",
    )
    table.add_column("stage")
    for column in columns:
        table.add_column(column, justify="right")
    for stage, c in counts.items():
        awaiting = c.get("awaiting_settlement")
        table.add_row(stage, *stage_count_cells(c), "" if awaiting is None else str(awaiting))
    table.caption = "awaiting: signed quotes neither filled nor expired yet"
    return table


def _drained(counts: Mapping[str, Mapping[str, Any]]) -> bool:
    """Each stage consumed all its upstream produced, and no signed quote awaits its settlement."""
    if not all(counts.get(label) for label in ("normalize", "decide", *_EXECUTORS, "settle")):
        return False
    ingest = counts[INGEST].get("produced_by_topic", {})
    normalize, decide = counts["normalize"], counts["decide"]
    executors, settle = _stage(counts, _EXECUTORS), counts["settle"]
    signed = executors.get(f"produced:{EXEC_QUOTE_SIGNED.name}", 0)
    return (
        normalize.get("consumed", 0) >= ingest.get(RAW_NEAR_INTENTS_QUOTE.name, 0)
        and decide.get("consumed", 0) >= normalize.get("produced", 0)
        and executors["consumed"] >= decide.get("produced", 0)
        and settle.get("consumed", 0) >= signed + ingest.get(RAW_NEAR_INTENTS_QUOTE_STATUS.name, 0)
        and settle.get("awaiting_settlement") == 0
    )


def run_demo(recording: Path, work_dir: Path, settings: Settings, options: DemoOptions | None = None) -> int:
    """Run the demo; 0 when every identity of the reconciliation holds, 1 otherwise."""
    options = options or DemoOptions()
    console = demo_console()
    shutil.rmtree(work_dir, ignore_errors=True)
    (work_dir / "logs").mkdir(parents=True)
    plan = plan_broadcast(read_recording(recording), min_deadline_ms=options.min_deadline_ms)
    solver = DemoSolver.generate()
    simulator = RelaySimulator(duplicate_statuses=_every_fourth)
    with (
        _broker(settings, work_dir) as (address, broker_settings),
        published_registry(settings.registry_url) as registry_url,
        SimulatorThread(simulator) as relay,
    ):
        solver.register(relay)
        create_topics(address, TOPICS.values())
        prefix = f"doran-demo-{int(time.time())}"
        # The stages look up their schema ids in the registry when they start: published above.
        broker_settings = {**broker_settings, "registry_url": registry_url}
        environment = {
            **os.environ,
            **settings_environment(broker_settings),
            "DORAN_BROKER_ADDRESS": address,
            "DORAN_RELAY_URL": relay.url,
            "DORAN_RELAY_RPC_URL": relay.rpc_url,  # settle reconciles through the simulator's get_status
            "DORAN_CONSUMER_GROUP_PREFIX": prefix,
            "DORAN_SETTLEMENT_GRACE_MS": str(options.settlement_grace_ms),
        }
        executor = {**solver.environment(), "DORAN_QUOTE_DEADLINE_MARGIN_MS": "1000"}
        console.print(
            f"broker {address}; relay simulator {relay.url}; solver {solver!r}\n"
            f"{plan.quotes} recorded quotes (min_deadline_ms {options.min_deadline_ms}) and "
            f"{len(plan.items) - plan.quotes} other frames at {options.rate_per_s:g}/s; "
            f"logs in {work_dir / 'logs'}"
        )
        with StageProcesses(environment, work_dir / "logs") as processes:
            processes.start("normalize", "normalize")
            processes.start("decide", "decide")
            for replica in _EXECUTORS:
                state = {
                    "DORAN_REPLICA": replica,
                    "EXECUTOR_STATE_DIR": str(work_dir / replica / "executor-state"),
                }
                processes.start(replica, "execute", {**executor, **state})
            processes.start(
                "settle", "settle", {"DORAN_SETTLEMENT_STATE_DIR": str(work_dir / "settlement-state")}
            )
            outcome = _play(
                relay, plan, processes, settings, address, prefix, broker_settings, options, console
            )
            if outcome is None:
                return 1
            counts = outcome
        tallies = read_topics(address, list(TOPICS))
        checks = reconcile(relay.summary(), tallies, counts)
        latencies = answer_latencies_ms(relay.events(), relay.responses())
        print_tables(console, summary_tables(relay.summary(), tallies, counts, checks, latencies))
    return 0 if all(check.holds for check in checks) else 1


def _play(
    relay: SimulatorThread,
    plan: Broadcast,
    processes: StageProcesses,
    settings: Settings,
    address: str,
    prefix: str,
    broker_settings: dict[str, Any],
    options: DemoOptions,
    console: Console,
) -> dict[str, dict[str, Any]] | None:
    """Ingest from the simulator, play the recording, follow the stages; their last counts, or None."""
    stopping = threading.Event()
    ingest = StageMetrics(INGEST)
    ingest_settings = settings.model_copy(update={"consumer_group_prefix": prefix, **broker_settings})
    feed = LiveRelayFeed(relay.url)
    ingesting = threading.Thread(
        target=run_ingest,
        args=(ingest_settings, address, feed, ingest),
        kwargs={"should_stop": stopping.is_set},
        name="ingest",
    )
    ingesting.start()
    try:
        # A solver is up before the quotes come: ingest subscribed, every stage assigned its partitions.
        relay.wait_for(
            lambda: feed.client.connected and processes.ready(), options.drain_timeout_s, poll_s=0.2
        )
        playing = threading.Thread(
            target=broadcast, args=(relay, plan, options.rate_per_s), kwargs={"should_stop": stopping.is_set}
        )
        started = time.monotonic()
        playing.start()
        previous: dict[str, dict[str, Any]] = {}
        with progress(console) as show:
            while True:
                counts = {INGEST: ingest.snapshot(), **processes.counts()}
                show(_progress(counts, started))
                crashed = processes.exited()
                if crashed:
                    console.print(f"[red]stage(s) {', '.join(crashed)} exited; see their logs")
                    return None
                # Unchanged since the last look: a stage reports a batch's state before its records.
                if not playing.is_alive() and _drained(counts) and counts == previous:
                    return counts
                previous = counts
                if time.monotonic() - started > options.drain_timeout_s:
                    console.print("[red]the pipeline did not drain in time")
                    return None
                time.sleep(0.25)
    finally:
        stopping.set()
        ingesting.join(30)
