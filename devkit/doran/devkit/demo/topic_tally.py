"""Read the demo's topics back (read_committed) and count what each holds, by outcome where it has one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from doran.broker import TopicReader
from doran.contracts import DEAD_LETTER_TOPIC, EXEC_QUOTE_SETTLEMENT, EXEC_TRADE_RESULT
from doran.wire import ContractViolation, Headers, unframe

__all__ = ["TopicTally", "read_topics"]

_SAMPLES = 5


@dataclass
class TopicTally:
    """What one topic holds: its committed records, the outcome of each distinct event (a record
    published again under the same event_id is one event), the command ids it names, samples."""

    count: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)  # event_id -> outcome ("" when none)
    records_by_outcome: Counter[str] = field(default_factory=Counter)  # repeats included
    command_ids: set[str] = field(default_factory=set)
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def event_ids(self) -> set[str]:
        return set(self.outcomes)

    @property
    def copies(self) -> int:
        """Records that repeat an event already counted (at-least-once deliveries, republications)."""
        return self.count - len(self.outcomes)

    @property
    def breakdown(self) -> Counter[str]:
        """Distinct events by outcome."""
        return Counter(outcome for outcome in self.outcomes.values() if outcome)

    def add(self, topic: str, value: bytes | None, headers: Headers | None = None) -> None:
        """Count one record of `topic`, in any framing (a Confluent prefix, a header, or bare JSON)."""
        self.count += 1
        if value is None:
            return
        try:
            event = orjson.loads(unframe(topic, value, headers).data)
            event_id, payload = str(event["event_id"]), event["payload"]
        except (ContractViolation, orjson.JSONDecodeError, KeyError, TypeError):
            return  # counted; its content is not ours to break down
        if isinstance(payload, dict) and "command_id" in payload:
            self.command_ids.add(str(payload["command_id"]))
        outcome = ""
        if topic == EXEC_TRADE_RESULT.name:
            outcome = str(payload["result_code"])
            if len(self.samples) < _SAMPLES:
                self.samples.append(payload)
        elif topic == EXEC_QUOTE_SETTLEMENT.name:
            outcome = str(payload["outcome"])
        elif topic == DEAD_LETTER_TOPIC.name:
            outcome = f"{payload['stage']}: {payload['reason']}"
        self.outcomes.setdefault(event_id, outcome)
        self.records_by_outcome[outcome] += 1


def read_topics(address: str, topics: list[str], *, timeout_s: float = 60.0) -> dict[str, TopicTally]:
    """Count every committed record of `topics`, from the oldest kept to their end."""
    tallies = {topic: TopicTally() for topic in topics}
    with TopicReader(address, timeout_s=timeout_s, group_id="doran-demo-summary") as reader:
        for record in reader.read_all(topics):
            tallies[record.topic].add(record.topic, record.value, record.headers)
    return tallies
