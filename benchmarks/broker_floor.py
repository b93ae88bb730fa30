"""The embedded broker's floor under the latency target: the quote path's Kafka hops with no stage logic.

    python -m benchmarks.broker_floor [--rates 250 500] [--seconds 8] [--hops 3]

A producer writes timestamped 600-byte records at each rate to raw.near_intents.quote, as ingest does;
forwarder processes carry them along the quote path (raw -> norm.swap_demand -> cmd.execute_trade,
consume -> produce, nothing else), and a reader times each one's arrival on the last topic, as the
executor would receive it. Every client has the settings a stage gets on the embedded broker
(Settings' defaults + EMBEDDED_BROKER_SETTINGS). No transaction, no relay, no signing, no validation:
what the whole pipeline's p99 can never beat on this broker and machine, and the broker's CPU for it.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import struct
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer

from benchmarks._procfs import cpu_seconds
from doran.broker import create_topics
from doran.contracts import CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker
from doran.settings import Settings

__all__ = ["FloorRun", "main", "measure_floor"]

_PATH = [RAW_NEAR_INTENTS_QUOTE, NORM_SWAP_DEMAND, CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT]
_STAMP = struct.Struct("d")  # the send time (epoch s) at the head of each record
_PADDING = b"x" * 600  # about a quote event's size
_DRAIN_S = 10.0  # after the last record is sent, how long the stragglers are waited for


@dataclass(frozen=True, slots=True)
class FloorRun:
    rate: float
    hops: int
    sent: int
    arrived: int
    p50_ms: float
    p99_ms: float
    broker_cores: float
    forwarder_cores: float


def _settings(address: str) -> Settings:
    # model_construct: the fields' defaults, never this shell's DORAN_* variables (as user_defaults does)
    values: dict[str, Any] = {"broker_address": address, **EMBEDDED_BROKER_SETTINGS}
    return Settings.model_construct(**values)


def _consumer(address: str, group: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "log_level": 0,
            **_settings(address).consumer_config(),
        }
    )
    consumer.subscribe([topic])
    return consumer


def _producer(address: str) -> Producer:
    return Producer({"bootstrap.servers": address, "log_level": 0, **_settings(address).producer_config()})


def _forward(address: str, source: str, target: str, ready: Event) -> None:
    """A stage with no logic: every record of `source` produced to `target`, until killed."""
    consumer, producer = _consumer(address, f"floor-{source}", source), _producer(address)
    ready.set()
    while True:
        message = consumer.poll(0.1)
        if message is not None and message.error() is None:
            producer.produce(target, message.value(), message.key())
        producer.poll(0)


def measure_floor(address: str, broker_pid: int, rate: float, seconds: float, hops: int) -> FloorRun:
    """Send `rate` records/s for `seconds` over the quote path's first `hops` topics (a hop each: 3 is
    ingest -> normalize -> decide -> the executor) on a fresh broker."""
    topics = [topic.name for topic in _PATH[:hops]]
    context = multiprocessing.get_context("fork")
    forwarders = []
    for source, target in itertools.pairwise(topics):
        ready = context.Event()
        process = context.Process(target=_forward, args=(address, source, target, ready), daemon=True)
        process.start()
        ready.wait()
        forwarders.append(process)
    reader, producer = _consumer(address, f"floor-reader-{rate:g}", topics[-1]), _producer(address)
    try:
        producer.produce(topics[0], _STAMP.pack(time.time()) + _PADDING, b"warm-up")
        while (warm := reader.poll(0.5)) is None or warm.error() is not None:
            pass  # every group has joined once one record made it through
        pids = [broker_pid, *(p.pid for p in forwarders if p.pid is not None)]
        cpu_before = [cpu_seconds(pid) for pid in pids]
        count, latencies = int(rate * seconds), list[float]()
        started = time.perf_counter()
        sent = 0
        while len(latencies) < count and time.perf_counter() - started < seconds + _DRAIN_S:
            now = time.perf_counter()
            while sent < count and started + sent / rate <= now:
                producer.produce(topics[0], _STAMP.pack(time.time()) + _PADDING, b"k%d" % sent)
                sent += 1
            producer.poll(0)
            message = reader.poll(0.001)
            if message is not None and message.error() is None and (value := message.value()):
                latencies.append(time.time() - _STAMP.unpack_from(value)[0])
        wall = time.perf_counter() - started
        cores = [(cpu_seconds(pid) - before) / wall for pid, before in zip(pids, cpu_before, strict=True)]
    finally:
        reader.close()
        for process in forwarders:
            process.kill()
            process.join()
    latencies.sort()
    return FloorRun(
        rate=rate,
        hops=hops,
        sent=sent,
        arrived=len(latencies),
        p50_ms=latencies[len(latencies) // 2] * 1000 if latencies else float("inf"),
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000 if len(latencies) == sent else float("inf"),
        broker_cores=cores[0],
        forwarder_cores=sum(cores[1:]),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.broker_floor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rates", type=float, nargs="+", default=[250.0, 500.0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--hops", type=int, default=3, choices=(1, 2, 3, 4), help="3: up to the executor")
    args = parser.parse_args(argv)
    print("| records/s | Kafka hops | arrived | p50 ms | p99 ms | broker cores | forwarders' cores |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="doran-floor-") as work:
        for rate in args.rates:
            with EmbeddedBroker(log_path=Path(work) / f"tansu-{rate:g}.log") as broker:
                create_topics(broker.address, _PATH)
                assert broker.pid is not None
                run = measure_floor(broker.address, broker.pid, rate, args.seconds, args.hops)
            print(
                f"| {run.rate:,.0f} | {run.hops} | {run.arrived:,}/{run.sent:,} | {run.p50_ms:.1f} | "
                f"{run.p99_ms:.1f} | {run.broker_cores:.2f} | {run.forwarder_cores:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
