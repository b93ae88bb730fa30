"""A watcher process noting when each quote's demand and command become readable, for the latency runs'
per-hop figures.

normalize and decide produce through Quix, which gives each output record its input's timestamp, so
their records all carry ingest's produce time: the topics read back after a run cannot tell their hops
apart. This process (`python -m benchmarks._hop_watch ADDRESS OUT.json`) reads norm.swap_demand and
cmd.execute_trade as the next stage does (read_committed) and writes quote_id -> first seen (epoch s)
per topic to OUT.json on SIGTERM. It runs in a process of its own so that it takes nothing from the
relay simulator's thread in the bench process, whose clock is the latency's; its CPU is reported.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import orjson

from benchmarks._errors import BenchmarkError
from benchmarks._kafka import read_committed_consumer
from doran.contracts import CMD_EXECUTE_TRADE, NORM_SWAP_DEMAND
from doran.wire import unframe

__all__ = ["WATCHED", "HopWatch", "hop_watch", "main"]

#: The topics watched: those whose records carry no time of their own stage.
WATCHED = (NORM_SWAP_DEMAND.name, CMD_EXECUTE_TRADE.name)
_STARTED = b"watching\n"


class HopWatch:
    """The running watcher: its pid (for its CPU), and what it saw once stopped."""

    def __init__(self, address: str, out: Path) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._hop_watch", address, str(out)],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.PIPE,
            stderr=(out.parent / "hop-watch.log").open("wb"),
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline() != _STARTED:  # assigned and fetching: nothing is missed
            raise BenchmarkError(f"the hop watcher did not start; see {out.parent / 'hop-watch.log'}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def seen(self) -> dict[str, dict[str, float]]:
        """Stop the watcher; topic -> quote_id -> when first readable (epoch s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if not self.out.exists():
            raise BenchmarkError(f"the hop watcher wrote nothing; see {self.out.parent / 'hop-watch.log'}")
        found: dict[str, dict[str, float]] = orjson.loads(self.out.read_bytes())
        return found


@contextlib.contextmanager
def hop_watch(address: str, out: Path) -> Iterator[HopWatch]:
    """A watcher for the block; killed if the block fails before it was asked what it saw."""
    watch = HopWatch(address, out)
    try:
        yield watch
    finally:
        if watch.process.poll() is None:
            watch.process.kill()
            watch.process.wait()


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks._hop_watch ADDRESS OUT.json`: watch until SIGTERM, then write OUT.json."""
    address, out = (argv if argv is not None else sys.argv[1:])[:2]
    stopping = False

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    seen: dict[str, dict[str, float]] = {topic: {} for topic in WATCHED}
    consumer = read_committed_consumer(address, list(WATCHED))
    consumer.consume(1, 0)  # starts fetching from the assigned partitions
    sys.stdout.buffer.write(_STARTED)
    sys.stdout.flush()
    try:
        while not stopping:
            # poll returns at the first record; consume(n, timeout) would wait for n or the timeout,
            # stamping records late. Then what is already fetched, without waiting.
            first = consumer.poll(0.05)
            if first is None:
                continue
            now = time.time()
            for message in [first, *consumer.consume(500, 0)]:
                value, topic = message.value(), message.topic()
                if message.error() is None and value and topic:
                    quote_id = orjson.loads(unframe(topic, value).data)["payload"]["quote_id"]
                    seen[topic].setdefault(quote_id, now)
    finally:
        consumer.close()
    Path(out).write_bytes(orjson.dumps(seen))


if __name__ == "__main__":
    main()
