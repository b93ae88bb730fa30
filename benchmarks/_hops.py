"""Where a quote's time goes on its way through the loop, hop by hop, from four clocks of one machine:
the simulator's (event sent, response received), the Kafka timestamps of the raw quote and the trade
result records (set where ingest and execute produce them), and the hop watcher's (when the demand
and the command became readable; benchmarks/_hop_watch.py says why it is needed).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from benchmarks._errors import BenchmarkError
from doran.contracts import CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.devkit.relay_simulator import PublishedQuote, ReceivedResponse
from doran.wire import unframe

__all__ = ["HOPS", "hop_latencies"]

# The records read back after the run for their Kafka timestamps (their producers set them).
_STAMPED = (RAW_NEAR_INTENTS_QUOTE.name, EXEC_TRADE_RESULT.name)
_SENT, _RECEIVED = "relay sent", "relay received"
#: The hops in the order a quote passes them: name -> (from, to). The first four add up to the
#: end-to-end latency; the last comes after it (the executor records and publishes the answer).
HOPS: dict[str, tuple[str, str]] = {
    "ingest": (_SENT, RAW_NEAR_INTENTS_QUOTE.name),
    "normalize": (RAW_NEAR_INTENTS_QUOTE.name, NORM_SWAP_DEMAND.name),
    "decide": (NORM_SWAP_DEMAND.name, CMD_EXECUTE_TRADE.name),
    "execute": (CMD_EXECUTE_TRADE.name, _RECEIVED),
    "(result)": (_RECEIVED, EXEC_TRADE_RESULT.name),
}
_READ_S = 60.0


def _quote_id(topic: str, value: bytes) -> str | None:
    payload = orjson.loads(unframe(topic, value).data)["payload"]
    found = payload["message"]["quote_id"] if topic == RAW_NEAR_INTENTS_QUOTE.name else payload["quote_id"]
    return found if isinstance(found, str) else None


def _records(address: str) -> Iterator[tuple[str, str, float]]:
    """(topic, quote_id, record timestamp in s) of every committed record of the stamped topics."""
    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": f"bench-hops-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "log_level": 0,
        }
    )
    try:
        metadata = consumer.list_topics(timeout=10).topics
        left = {(t, p) for t in _STAMPED for p in metadata[t].partitions}
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in left])
        deadline = time.monotonic() + _READ_S
        while left:
            if time.monotonic() > deadline:
                raise BenchmarkError(f"could not read {sorted(left)} to their end within {_READ_S:g} s")
            for message in consumer.consume(1000, 0.2):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        left.discard((message.topic(), message.partition()))
                    continue
                topic, value = message.topic(), message.value()
                quote_id = _quote_id(topic, value) if topic and value else None
                if topic and quote_id:
                    yield topic, quote_id, message.timestamp()[1] / 1000
    finally:
        consumer.close()


def hop_latencies(
    address: str,
    events: Sequence[PublishedQuote],
    responses: Sequence[ReceivedResponse],
    watched: Mapping[str, Mapping[str, float]],
    *,
    warmup: int,
    dump: Path | None = None,
) -> dict[str, list[float]]:
    """Per hop, the ms each quote after the first `warmup` events spent on it (quotes seen at both its
    ends). `watched`: the hop watcher's topic -> quote_id -> first readable. With `dump`, every quote's
    times (epoch s) are written there as JSON, for a closer look at a run."""
    at: dict[str, dict[str, float]] = {topic: {} for topic in _STAMPED}
    at |= {topic: dict(seen) for topic, seen in watched.items()}
    at[_SENT] = {e.quote_id: e.sent.wall.timestamp() for e in events if e.quote_id is not None}
    at[_RECEIVED] = {}
    for response in responses:
        if response.quote_id is not None:
            at[_RECEIVED].setdefault(response.quote_id, response.received.wall.timestamp())
    for topic, quote_id, timestamp in _records(address):
        at[topic].setdefault(quote_id, timestamp)
    if dump is not None:
        dump.write_bytes(orjson.dumps({q: {where: at[where].get(q) for where in at} for q in at[_SENT]}))
    measured = [e.quote_id for e in events[warmup:] if e.quote_id is not None]
    found: dict[str, list[float]] = {}
    for hop, (start, end) in HOPS.items():
        begun, ended = at.get(start, {}), at.get(end, {})
        found[hop] = [(ended[q] - begun[q]) * 1000 for q in measured if q in begun and q in ended]
    return found
