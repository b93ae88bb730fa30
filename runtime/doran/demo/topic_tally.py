"""Read the demo's topics back (read_committed) and render the end-of-run summary tables."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition
from rich.table import Table

from doran.contracts import DEAD_LETTER_TOPIC, EXEC_TRADE_RESULT

__all__ = ["TopicTally", "read_topics", "summary_tables"]

_SAMPLES = 5


@dataclass
class TopicTally:
    """What one topic holds: committed record count, and for results/dead letters a breakdown."""

    count: int = 0
    breakdown: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)


def read_topics(
    address: str, topics: list[str], *, quiet_s: float = 2.0, timeout_s: float = 60.0
) -> dict[str, TopicTally]:
    """Count every committed record of topics: assign from offset 0, read until quiet for quiet_s.

    Not to the high watermark: tansu reports the last batch's base offset + 1 there.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": "doran-demo-summary",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            # Assigned partitions, no group join: nothing to wait for.
        }
    )
    tallies = {topic: TopicTally() for topic in topics}
    try:
        metadata = consumer.list_topics(timeout=10).topics
        consumer.assign([TopicPartition(t, p, 0) for t in topics for p in metadata[t].partitions])
        deadline = time.monotonic() + timeout_s
        last_seen = time.monotonic()
        while time.monotonic() - last_seen < quiet_s and time.monotonic() < deadline:
            message = consumer.poll(0.1)
            if message is not None and not message.error():
                last_seen = time.monotonic()
                _tally(tallies[message.topic()], message.topic(), message.value())
    finally:
        consumer.close()
    return tallies


def _tally(tally: TopicTally, topic: str, value: bytes | None) -> None:
    tally.count += 1
    if value is None or topic not in (EXEC_TRADE_RESULT.name, DEAD_LETTER_TOPIC.name):
        return
    payload = orjson.loads(value)["payload"]
    if topic == EXEC_TRADE_RESULT.name:
        tally.breakdown[f"{payload['status']} / {payload['result_code']}"] += 1
        if len(tally.samples) < _SAMPLES:
            tally.samples.append(payload)
    else:
        tally.breakdown[f"{payload['stage']}: {payload['reason']}"] += 1


def summary_tables(tallies: dict[str, TopicTally], counts: dict[str, dict[str, Any]]) -> list[Table]:
    topics = Table(title="records per topic (read_committed)")
    topics.add_column("topic")
    topics.add_column("records", justify="right")
    for name, tally in tallies.items():
        topics.add_row(name, str(tally.count))
    dead = Table(title="dead letters by stage: reason")
    dead.add_column("stage: reason")
    dead.add_column("count", justify="right")
    for reason, n in sorted(tallies[DEAD_LETTER_TOPIC.name].breakdown.items()):
        dead.add_row(reason, str(n))
    declined = Table(title="declined demands by reason (decide)")
    declined.add_column("reason")
    declined.add_column("count", justify="right")
    for reason, n in sorted(counts.get("decide", {}).get("declined", {}).items()):
        declined.add_row(reason, str(n))
    results = Table(title="trade results")
    results.add_column("status / result_code")
    results.add_column("count", justify="right")
    for outcome, n in sorted(tallies[EXEC_TRADE_RESULT.name].breakdown.items()):
        results.add_row(outcome, str(n))
    samples = Table(title="a few trade results")
    for column in ("command_id", "status", "result_code", "note"):
        samples.add_column(column, overflow="fold")
    for payload in tallies[EXEC_TRADE_RESULT.name].samples:
        samples.add_row(
            payload["command_id"], payload["status"], payload["result_code"], payload["note"][:60]
        )
    return [topics, dead, declined, results, samples]
