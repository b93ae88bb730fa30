"""`make bench-restart`: how long a consuming stage is away when it is killed or rolled, measured.

    python -m benchmarks.restart [--settings production|embedded] [--modes static-kill,execute-kill,...]

For each mode, on a fresh embedded broker with the relay simulator: ingest and normalize run as
`doran stage` processes, quotes flow at 20/s, then normalize is stopped (SIGKILL, or SIGTERM and a wait
for its exit) and started again at once, as Kubernetes restarts a container; the figure is the time from
the signal to the first swap demand the new process writes. `static` runs normalize with
DORAN_GROUP_INSTANCE_ID (static membership, the StatefulSet pod name in production), `dynamic` without.

`--settings production` (the default) uses Settings' defaults (session.timeout.ms 45 s,
max.poll.interval.ms 300 s); `embedded` the embedded broker's (6 s). The figures are tansu's: it holds
every JoinGroup for about half the session timeout, plus 3 s for a static member, where Redpanda and
Kafka answer a static member's rejoin at once (KIP-345); see docs/operations.md.

`execute-kill` / `execute-term` do the same to the executor, as its StatefulSet runs it (a static member
under its pod name, DORAN_REPLICA the same, its state directory kept), behind ingest, normalize and
decide, on the simulated venue: the figure is the time to its first trade result after the restart, and
includes what only the executor does on a restart, fencing its transactional.id (aborting what the
killed process left open) and bringing its working stores up to date from the changelog.
"""

from __future__ import annotations

import argparse
import json
import signal
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from doran.broker import create_topics
from doran.contracts import EXEC_TRADE_RESULT, NORM_SWAP_DEMAND, TOPICS
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker, stage_environment
from doran.devkit.relay_simulator import SimulatorThread
from doran.devkit.schema_registry import published_registry
from doran.devkit.stage_processes import StageProcesses
from doran.devkit.traffic import QuoteStream, TopicWatch, wait_until
from doran.settings import Settings

__all__ = ["Restart", "main", "measure_restart"]

ROOT = Path(__file__).resolve().parents[1]
MODES = ("static-kill", "static-term", "dynamic-kill", "dynamic-term", "execute-kill", "execute-term")
RATE_PER_S = 20.0
TIMEOUT_S = 400.0  # tansu with a 45 s session: a dynamic member's restart takes over a minute


@dataclass(frozen=True, slots=True)
class Restart:
    """One restart: seconds from the signal to the old process's exit, to the new one's /readyz, and to
    its first output record."""

    mode: str
    settings: str
    exit_s: float
    ready_s: float
    first_output_s: float


def measure_restart(mode: str, settings: str, work: Path) -> Restart:
    """Stop and restart normalize once in `mode` (static|dynamic - kill|term), or the executor
    (execute - kill|term), under `settings`."""
    membership, how = mode.split("-")
    executor = membership == "execute"
    label, output = ("execute", EXEC_TRADE_RESULT) if executor else ("normalize", NORM_SWAP_DEMAND)
    upstream = ("ingest", "normalize", "decide") if executor else ("ingest",)
    # Production: Settings' own defaults in place of the embedded broker's values.
    production = {name: Settings.model_fields[name].default for name in EMBEDDED_BROKER_SETTINGS}
    overrides = production if settings == "production" else {}
    with (
        EmbeddedBroker(log_path=work / "tansu.log") as broker,
        SimulatorThread() as relay,
        published_registry() as registry,
    ):
        create_topics(broker.address, TOPICS.values())
        environment = {
            **stage_environment(overrides),
            "DORAN_BROKER_ADDRESS": broker.address,
            "DORAN_REGISTRY_URL": registry,
            "DORAN_RELAY_URL": relay.url,
            "DORAN_QUIX_STATE_DIR": str(work / "quix"),
        }
        static = {"DORAN_GROUP_INSTANCE_ID": f"{label}-0"} if membership in ("static", "execute") else {}
        if executor:  # as its StatefulSet runs it: the pod name is its replica, its state on a volume
            static |= {
                "DORAN_REPLICA": "execute-0",
                "DORAN_VENUE": "simulated",
                "EXECUTOR_STATE_DIR": str(work / "executor-state"),
            }
        with StageProcesses(environment, work / "logs") as processes:
            for name in upstream:
                processes.start(name, name)
            stage = processes.start(label, label, static)
            processes.wait_until_ready(TIMEOUT_S)
            with TopicWatch(broker.address, output.name) as watch, QuoteStream(relay, RATE_PER_S):
                wait_until(lambda: watch.count() >= 20, 120, f"{output.name} flowing before the restart")
                signalled = time.monotonic()
                stage.process.send_signal(signal.SIGKILL if how == "kill" else signal.SIGTERM)
                stage.process.wait(60)
                exited = time.monotonic()
                stage = processes.start(label, label, static)
                ready = wait_until(
                    lambda: stage.ready() and time.monotonic(), TIMEOUT_S, f"{label} ready again"
                )
                first = wait_until(lambda: watch.first_after(exited), TIMEOUT_S, f"{output.name} after it")
    return Restart(mode, settings, exited - signalled, ready - signalled, first - signalled)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", choices=("production", "embedded"), default="production")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    args = parser.parse_args()
    window_s = Settings().relay_auction_window_ms / 1000
    results = []
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix=f"doran-restart-{mode}-") as work:
            result = measure_restart(mode, args.settings, Path(work))
        results.append(result)
        print(
            f"{result.mode:<13} {result.settings:<10} exit {result.exit_s:6.2f} s  "
            f"ready {result.ready_s:6.2f} s  first output {result.first_output_s:6.2f} s  "
            f"(auction window {window_s:g} s)",
            flush=True,
        )
    out = ROOT / "reports" / f"restart-{args.settings}.json"
    # The modes run now replace their earlier figures; the others' stay.
    earlier = json.loads(out.read_text()) if out.exists() else []
    measured = {r.mode: asdict(r) for r in results}
    kept = [entry for entry in earlier if entry.get("mode") not in measured]
    out.write_text(json.dumps([*kept, *measured.values()], indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
