"""What a Kafka client's statistics say about it: brokers up, partitions assigned and how far behind,
each topic's partition count, the consumer group's state. librdkafka emits them every
`statistics.interval.ms` from inside poll() (pass `on_stats` as `stats_cb`): if the poll loop stops,
so do they, which makes their arrival the loop's heartbeat too.

`ClientMonitor` keeps the latest reading and calls its listeners with the previous and the new one
(`doran.stages.kafka_watch` turns them into readiness and lifecycle events); a listener may raise to
stop the stage, and the exception leaves the client's poll().
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ClientMonitor", "ClientStats", "ConsumerMonitor", "StatsListener"]


def _lag(partition: dict[str, Any]) -> int | None:
    """Messages between the consumer's position and the partition's end (last stable offset under
    read_committed). Positions, not committed offsets: the executor commits through its producer's
    transactions, which the consumer's own statistics never see."""
    end = partition.get("ls_offset", -1)
    end = end if end >= 0 else partition.get("hi_offset", -1)
    position = partition.get("app_offset", -1)
    position = position if position >= 0 else partition.get("committed_offset", -1)
    if end < 0 or position < 0:
        return None
    return max(0, int(end) - int(position))


@dataclass(frozen=True, slots=True)
class ClientStats:
    """One statistics report, reduced to what doran acts on."""

    brokers_up: bool = False
    assigned: frozenset[tuple[str, int]] = frozenset()
    lag: Mapping[tuple[str, int], int] = field(default_factory=dict)
    partition_counts: Mapping[str, int] = field(default_factory=dict)
    #: The consumer group's state and join state, e.g. ("up", "steady"); None for a producer.
    group: tuple[str, str] | None = None

    @classmethod
    def parse(cls, stats_json: str) -> ClientStats:
        stats = json.loads(stats_json)
        # A broker is up when a connection to it is: the bootstrap entry counts until the cluster's
        # own nodes are known; the group coordinator is the same connection under another name.
        brokers_up = any(
            info.get("state") == "UP"
            for name, info in stats.get("brokers", {}).items()
            if not name.startswith("GroupCoordinator")
        )
        assigned, lag, counts = set(), {}, {}
        for topic, info in stats.get("topics", {}).items():
            partitions = info.get("partitions", {})
            counts[topic] = sum(1 for number in partitions if number != "-1")
            for number, partition in partitions.items():
                if number == "-1" or partition.get("fetch_state") in (None, "none", "stopped"):
                    continue
                assigned.add((topic, int(number)))
                behind = _lag(partition)
                if behind is not None:
                    lag[(topic, int(number))] = behind
        group = stats.get("cgrp")
        return cls(
            brokers_up,
            frozenset(assigned),
            lag,
            counts,
            None if group is None else (str(group.get("state")), str(group.get("join_state"))),
        )

    @property
    def in_group(self) -> bool:
        """The consumer is a settled member of its group (not joining, not rebalancing)."""
        return self.group == ("up", "steady")


#: Called with the previous reading (None on the first) and the new one.
StatsListener = Callable[[ClientStats | None, ClientStats], None]


class ClientMonitor:
    """The latest statistics of one Kafka client, and when they last came (the poll loop ran)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        self._listeners: list[StatsListener] = []
        self.stats: ClientStats | None = None
        self.last_poll: float | None = None

    def listen(self, listener: StatsListener) -> None:
        """Call `listener` after every report, in the client's polling thread."""
        self._listeners.append(listener)

    def on_stats(self, stats_json: str) -> None:
        previous, self.stats = self.stats, ClientStats.parse(stats_json)
        self.last_poll = self._clock()
        for listener in self._listeners:
            listener(previous, self.stats)

    def polled_within(self, seconds: float) -> bool:
        """Whether the poll loop ran in the last `seconds` (liveness); from the start until it first ran."""
        since = self.last_poll if self.last_poll is not None else self._started
        return self._clock() - since <= seconds


class ConsumerMonitor(ClientMonitor):
    """A consumer's statistics: partitions assigned and consumer lag besides what every client reports."""

    @property
    def assigned(self) -> frozenset[tuple[str, int]]:
        return frozenset() if self.stats is None else self.stats.assigned

    @property
    def lag(self) -> Mapping[tuple[str, int], int]:
        return {} if self.stats is None else self.stats.lag
