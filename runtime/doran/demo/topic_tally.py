"""Read the demo's topics back (read_committed) and count what each holds, by outcome where it has one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from doran.broker import TopicReader
from doran.contracts import DEAD_LETTER_TOPIC, EXEC_QUOTE_SETTLEMENT, EXEC_TRADE_RESULT

__all__ = ["TopicTally", "read_topics"]

_SAMPLES = 5


@dataclass
class TopicTally:
    """What one topic holds: its committed records, distinct event ids and command ids, an outcome
    breakdown, samples."""

    count: int = 0
    event_ids: set[str] = field(default_factory=set)
    command_ids: set[str] = field(default_factory=set)
    breakdown: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, topic: str, value: bytes | None) -> None:
        self.count += 1
        if value is None:
            return
        try:
            event = orjson.loads(value)
            self.event_ids.add(str(event["event_id"]))
            payload = event["payload"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return  # counted; its content is not ours to break down
        if isinstance(payload, dict) and "command_id" in payload:
            self.command_ids.add(str(payload["command_id"]))
        if topic == EXEC_TRADE_RESULT.name:
            self.breakdown[str(payload["result_code"])] += 1
            if len(self.samples) < _SAMPLES:
                self.samples.append(payload)
        elif topic == EXEC_QUOTE_SETTLEMENT.name:
            self.breakdown[str(payload["outcome"])] += 1
        elif topic == DEAD_LETTER_TOPIC.name:
            self.breakdown[f"{payload['stage']}: {payload['reason']}"] += 1


def read_topics(address: str, topics: list[str], *, timeout_s: float = 60.0) -> dict[str, TopicTally]:
    """Count every committed record of `topics`, from the oldest kept to their end."""
    tallies = {topic: TopicTally() for topic in topics}
    with TopicReader(address, timeout_s=timeout_s, group_id="doran-demo-summary") as reader:
        for record in reader.read_all(topics):
            tallies[record.topic].add(record.topic, record.value)
    return tallies
