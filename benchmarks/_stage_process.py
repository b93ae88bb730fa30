"""One stage process of the latency benchmark: `python -m benchmarks._stage_process STAGE [overrides]`.

Without overrides it runs exactly what `doran stage STAGE` runs (the same builders, DORAN_* settings;
the commit interval is DORAN_COMMIT_INTERVAL_S). The overrides answer "what if" questions the
stages' Settings cannot express yet; they rebind a module global of doran.stages in THIS process
only, and each is reported next to its figure:
  --fetch-wait-ms MS    fetch.wait.max.ms of every stage consumer (librdkafka default 500)
  --execute-poll-s S    how long execute waits to fill a batch (ExecuteLoop poll_timeout_s, 0.2 s)
  --quix-poll-s S       Quix's consumer_poll_timeout (1 s): Quix checks its commit timer only between
                        polls, so an idle input delays the commit of what was processed by up to this
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from types import MappingProxyType, ModuleType

from quixstreams import Application

import doran.stages.execute as execute_stage
import doran.stages.quix_stage as quix_stage
from doran.broker import FAST_GROUP_JOIN
from doran.settings import Settings
from doran.stages.counters import StageCounters
from doran.stages.decide import build_decide_app
from doran.stages.execute_loop import ExecuteLoop
from doran.stages.normalize import build_normalize_app

__all__ = ["main"]


def _rebind(module: ModuleType, name: str, value: object) -> None:
    """Replace a module global the stage code reads when it builds its consumer or loop."""
    if not hasattr(module, name):
        raise AttributeError(
            f"{module.__name__} has no {name!r} to override; update benchmarks/_stage_process.py"
        )
    setattr(module, name, value)


def _override(args: argparse.Namespace) -> None:
    if args.fetch_wait_ms is not None:
        prompt = MappingProxyType({**FAST_GROUP_JOIN, "fetch.wait.max.ms": args.fetch_wait_ms})
        _rebind(quix_stage, "FAST_GROUP_JOIN", prompt)
    if args.quix_poll_s is not None:
        polling = functools.partial(Application, consumer_poll_timeout=args.quix_poll_s)
        _rebind(quix_stage, "Application", polling)
    if args.execute_poll_s is not None:
        _rebind(
            execute_stage, "ExecuteLoop", functools.partial(ExecuteLoop, poll_timeout_s=args.execute_poll_s)
        )


def main(argv: list[str] | None = None) -> None:
    """Run one stage against DORAN_BROKER_ADDRESS until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._stage_process")
    parser.add_argument("stage", choices=["normalize", "decide", "execute"])
    parser.add_argument("--fetch-wait-ms", type=int)
    parser.add_argument("--execute-poll-s", type=float)
    parser.add_argument("--quix-poll-s", type=float)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _override(args)
    settings = Settings()
    broker = settings.broker_address
    if not broker:
        sys.exit("set DORAN_BROKER_ADDRESS")
    if args.stage == "execute":
        execute_stage.run_execute_stage(settings, broker)
        return
    counters = StageCounters(args.stage, settings.stats_dir)
    build = build_normalize_app if args.stage == "normalize" else build_decide_app
    try:
        build(settings, broker, counters).run()  # Quix stops cleanly on SIGTERM/SIGINT
    finally:
        counters.flush()


if __name__ == "__main__":
    main()
