"""End-to-end latency at an offered rate: relay quote event sent -> doran's quote_response received by
the relay. That is the solver's real deadline: the relay takes answers only while the auction is open
(max_wait_ms after the event), and what doran does after answering is not on the quote's clock.

One run: a fresh embedded broker; the relay simulator (`SimulatorThread`) in this process with a solver
key made for the run registered at it; every stage as a `doran stage X` process configured as a
user gets them on the embedded broker (benchmarks/_defaults.py): ingest subscribed to the simulator
(DORAN_RELAY_URL), the executor answering on the NEAR Intents venue over its relay session
(DORAN_VENUE=near_intents + the solver's DORAN_NEAR_*). Once every stage is ready (/readyz) and both
relay connections are up, the simulator sends the quotes at the offered rate on an absolute schedule
(`publish_quotes`). Latency per quote = response received - event sent, both stamped by the simulator
on its monotonic clock (just before the event's first write; first thing on a frame's receipt).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._defaults import stage_environment
from benchmarks._errors import BenchmarkError
from benchmarks._hop_watch import hop_watch
from benchmarks._hops import hop_latencies
from benchmarks._kafka import fresh_broker
from benchmarks._procfs import cpu_seconds, peak_rss_mib
from benchmarks._state_size import StateSize, state_size
from doran.devkit.demo.solver_identity import DemoSolver
from doran.devkit.relay_simulator import (
    DEFAULT_MAX_WAIT_MS,
    PublishedQuote,
    ReceivedResponse,
    RelaySimulator,
    SimulatorThread,
    WaitTimeout,
)
from doran.devkit.stage_processes import StageProcesses
from doran.stages.launch import STAGES

__all__ = ["BENCH_PROCESS", "WATCHER", "LatencyRun", "Percentiles", "measure_latency", "percentiles"]

#: This process: the relay simulator's thread (the main thread only waits for it).
BENCH_PROCESS = "bench (relay simulator)"
WATCHER = "hop watcher"
_READY_S = 60.0
# After the last quote, answers can come until its auction closes; this margin more, then it is over.
_AFTER_CLOSE_S = 2.0
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Percentiles:
    """p50/p90/p99/max of a set of latencies, in ms; inf where the rank falls on a quote never answered."""

    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def percentiles(latencies: Iterable[float], missing: int = 0) -> Percentiles:
    """Nearest-rank percentiles of latencies in ms, with `missing` more counted as never answered
    (infinite): p99 <= X then says that 99% of all the quotes were answered within X ms. max is the
    answered ones' largest. NaN when there is nothing at all."""
    ordered = sorted(latencies)
    everything = [*ordered, *[math.inf] * missing]

    def rank(q: float) -> float:
        if not everything:
            return math.nan
        return everything[max(1, min(len(everything), math.ceil(q / 100 * len(everything)))) - 1]

    return Percentiles(rank(50), rank(90), rank(99), ordered[-1] if ordered else math.nan)


@dataclass(frozen=True, slots=True)
class LatencyRun:
    """One latency run: what was offered, what the relay got back and when, and what each process used."""

    label: str
    offered_rate: float  # quotes/s asked of the simulator
    achieved_rate: float  # quotes/s it sent, first event to last
    quotes: int  # sent in all
    warmup: int  # the first quotes (the warm-up), left out of every figure below
    measured: int  # quotes after the warm-up that were answered
    missing: int  # quotes after the warm-up that were not (counted as never answered)
    latency: Percentiles
    what_if: dict[str, str] = field(default_factory=dict)  # settings changed from the defaults
    # Each hop's share, per hop (benchmarks/_hops.py): p50/p90/p99/max ms of the quotes seen at both ends.
    hops: dict[str, Percentiles] = field(default_factory=dict)
    # The relay's verdicts on doran's quote_responses: "OK" or its refusal, with counts.
    verdicts: dict[str, int] = field(default_factory=dict)
    # Cores each process kept busy from the first quote to the end of the run, and CPU µs per quote.
    cores_used: dict[str, float] = field(default_factory=dict)
    cpu_us_per_quote: dict[str, float] = field(default_factory=dict)
    # Peak resident memory of the broker, each stage process and the watcher, MiB.
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    # Each stage's counts at the end of the window (from its /metrics).
    stage_counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The executor's state file once it stopped, and the commands it holds.
    state: StateSize | None = None

    @property
    def commands(self) -> int:
        """Commands decide produced by the end of the run."""
        produced: int = self.stage_counts.get("decide", {}).get("produced", 0)
        return produced

    @property
    def declined(self) -> int:
        """Demands decide declined by the end of the run."""
        return sum(self.stage_counts.get("decide", {}).get("declined", {}).values())


def _relay_ready(relay: SimulatorThread) -> bool:
    """ingest subscribed to quotes and the executor's session connected: two open connections."""
    connections = [c for c in relay.connections() if c.open]
    return len(connections) >= 2 and any("quote" in c.subscriptions for c in connections)


def _auction_window_s(quotes: Sequence[Mapping[str, Any]]) -> float:
    """The longest auction among the quotes (their max_wait_ms, else the relay's default), s."""
    windows = [q.get("max_wait_ms") for q in quotes]
    return max(w if isinstance(w, int) and w > 0 else DEFAULT_MAX_WAIT_MS for w in windows) / 1000


def _latencies_ms(
    events: Sequence[PublishedQuote], responses: Sequence[ReceivedResponse]
) -> dict[str, float]:
    """quote_id -> ms from its event sent to its first quote_response received."""
    received: dict[str, float] = {}
    for response in responses:
        if response.quote_id is not None:
            received.setdefault(response.quote_id, response.received.monotonic)
    return {
        event.quote_id: (received[event.quote_id] - event.sent.monotonic) * 1000
        for event in events
        if event.quote_id is not None and event.quote_id in received
    }


def measure_latency(
    quotes: Sequence[Mapping[str, Any]],
    run_dir: Path,
    *,
    label: str,
    rate: float,
    warmup_s: float,
    what_if: Mapping[str, str] | None = None,
) -> LatencyRun:
    """Send `quotes` at `rate` per second through the whole loop and time each answer. `what_if`:
    DORAN_* variables set on every stage beyond the defaults (none for the headline figures)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    warmup = min(len(quotes) - 1, round(rate * warmup_s))
    # The simulator's thread allocates in this process, which holds the bench's other inputs and
    # results: freeze them, so that no collection it triggers rescans them (a pause on its clock).
    gc.collect()
    gc.freeze()
    solver = DemoSolver.generate("doran-bench.near")
    with fresh_broker(run_dir / "tansu.log") as broker, SimulatorThread(RelaySimulator()) as relay:
        solver.register(relay)
        env = {
            **stage_environment(),
            **(what_if or {}),
            "DORAN_BROKER_ADDRESS": broker.address,
            "DORAN_REGISTRY_URL": broker.registry,
            "DORAN_RELAY_URL": relay.url,
            "DORAN_CONSUMER_GROUP_PREFIX": f"bench-latency-{run_dir.name}",
            "DORAN_QUIX_STATE_DIR": str(run_dir / "quix"),
            "EXECUTOR_STATE_DIR": str(run_dir / "executor-state"),
        }
        with (
            StageProcesses(env, run_dir, cwd=run_dir) as processes,
            hop_watch(broker.address, run_dir / "hops.json") as watch,
        ):
            for name in STAGES:
                processes.start(name, name, solver.environment() if name == "execute" else {})
            stages = processes.started
            processes.wait_until_ready(_READY_S)
            try:
                relay.wait_for(lambda: _relay_ready(relay), _READY_S, poll_s=0.1)
            except WaitTimeout as exc:
                raise BenchmarkError(f"ingest and the executor did not both connect to {relay.url}") from exc
            pids = {
                "tansu": broker.pid,
                **{name: stage.process.pid for name, stage in stages.items()},
                WATCHER: watch.pid,
            }
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            cpu_before[BENCH_PROCESS] = time.process_time()
            wall_before = time.monotonic()
            events = relay.publish_quotes(quotes, rate)
            # Then the answers still on their way, until the last auction has closed (and a margin):
            # the quotes still unanswered count as missing. Polled, not `relay.wait_for`, whose
            # condition would run on every response and copy the journal each time, in this process.
            deadline = time.monotonic() + _auction_window_s(quotes) + _AFTER_CLOSE_S
            while len(relay.responses()) < len(events) and time.monotonic() < deadline:
                time.sleep(_POLL_S)
            wall = time.monotonic() - wall_before
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
            cpu[BENCH_PROCESS] = time.process_time() - cpu_before[BENCH_PROCESS]
            # Before they stop. Not this process's: it holds the other phases' inputs too.
            peaks = {name: peak_rss_mib(pid) for name, pid in pids.items()}
            counts = {name: stage.counts() for name, stage in stages.items()}
            responses = relay.responses()
            watched = watch.seen()
            processes.stop()  # the executor closes its state file; then it can be measured
        hops = hop_latencies(
            broker.address, events, responses, watched, warmup=warmup, dump=run_dir / "quotes.json"
        )
    if not events:
        raise BenchmarkError("the relay simulator sent no quote")
    measured = list(_latencies_ms(events[warmup:], responses).values())
    offered = len(events) - warmup
    verdicts: dict[str, int] = {}
    for response in responses:
        verdicts[response.verdict] = verdicts.get(response.verdict, 0) + 1
    span = events[-1].sent.monotonic - events[0].sent.monotonic
    return LatencyRun(
        label=label,
        offered_rate=rate,
        achieved_rate=(len(events) - 1) / span if span > 0 else math.nan,
        quotes=len(events),
        warmup=warmup,
        measured=len(measured),
        missing=offered - len(measured),
        latency=percentiles(measured, offered - len(measured)),
        what_if=dict(what_if or {}),
        hops={hop: percentiles(values) for hop, values in hops.items()},
        verdicts=verdicts,
        cores_used={name: seconds / wall for name, seconds in cpu.items()},
        cpu_us_per_quote={name: seconds / len(events) * 1e6 for name, seconds in cpu.items()},
        peak_rss_mib=peaks,
        stage_counts=counts,
        state=state_size(run_dir / "executor-state"),
    )
