"""What a stage process counts, and the Prometheus collector that exposes it on the health port.

Counting sits on the per-message path, so it is plain integer arithmetic in the stage's thread
(a prometheus_client Counter costs ~1 µs per increment); the collector reads the numbers when
Prometheus scrapes. Consumer lag comes from librdkafka's statistics (`doran.stages.client_stats`).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector, CollectorRegistry

from doran.contracts import DEAD_LETTER_TOPIC
from doran.stages.client_stats import ConsumerMonitor
from doran.stages.handling import Handled

__all__ = ["ConsumerMonitor", "LatencyHistogram", "StageMetrics", "parse_counts"]

# Seconds: from a fast handler (tens of µs) to a slow venue batch.
_BUCKETS = (
    0.00002,
    0.00005,
    0.0001,
    0.0002,
    0.0005,
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


@dataclass
class LatencyHistogram:
    """Cumulative-bucket histogram of durations in seconds; `observe` is a bisect and two additions."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(_BUCKETS, seconds)] += 1
        self.total += seconds

    def family(self, name: str, documentation: str, stage: str) -> HistogramMetricFamily:
        family = HistogramMetricFamily(name, documentation, labels=["stage"])
        cumulative, buckets = 0, []
        for bound, count in zip((*map(str, _BUCKETS), "+Inf"), self.counts, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        family.add_metric([stage], buckets, self.total)
        return family


class StageMetrics(Collector):
    """The counts of one stage process. Each consumed message ends one way (`count`):
    consumed = published + declined + dead-lettered + skipped + kept.

    `published` counts messages answered with records; `produced` counts the records, by topic (dead
    letters included; a message may produce several, e.g. a trade result and its signed quote).
    `kept`: messages held in a stateful stage until what they wait for comes (the settlement stage).
    Relay protocol frames (ingest) are no messages of the pipeline: counted by kind, not consumed.
    `timed`: what a stage's clock decided, not a message (expired quotes, statuses that waited in
    vain), by kind.
    """

    def __init__(self, stage: str, monitor: ConsumerMonitor | None = None) -> None:
        self.stage = stage
        self.monitor = monitor
        self.consumed = 0
        self.published = 0
        self.skipped = 0
        self.kept = 0
        self.produced: Counter[str] = Counter()  # by topic
        self.declined: Counter[str] = Counter()  # by reason
        self.dead_lettered: Counter[str] = Counter()  # by reason
        self.timed: Counter[str] = Counter()  # by kind
        self.protocol: Counter[str] = Counter()  # ingest: relay frames that are protocol traffic, by kind
        self.awaiting_settlement: int | None = None  # settle: signed quotes not yet filled or expired
        self.unknown_reconcile: int | None = None  # settle: of those, the relay could not be asked about
        self.handler_seconds = LatencyHistogram()
        self.batch_seconds = LatencyHistogram()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def count(self, handled: Handled) -> None:
        """Count one message by how it ended; the one place the counting rule is kept."""
        if handled.protocol is not None:
            self.protocol[handled.protocol] += 1
            return
        self.consumed += 1
        for record in handled.records:
            self.produced[record.topic] += 1
        if handled.dead_letter:
            self.dead_lettered[handled.dead_letter] += 1
        elif handled.declined:
            self.declined[handled.declined] += 1
        elif handled.skipped:
            self.skipped += 1
        elif handled.kept:
            self.kept += 1
        else:
            self.published += 1

    def count_timed(self, kind: str, topic: str) -> None:
        """Count a record the stage's clock decided (an expiry, a status that waited in vain): no
        message ended, one record written."""
        self.timed[kind] += 1
        self.produced[topic] += 1

    def snapshot(self) -> dict[str, Any]:
        """The counts as plain JSON values; `produced` counts records, dead letters left out."""
        return {
            "stage": self.stage,
            "consumed": self.consumed,
            "published": self.published,
            "produced": sum(n for topic, n in self.produced.items() if topic != DEAD_LETTER_TOPIC.name),
            "produced_by_topic": dict(self.produced),
            "skipped_duplicates": self.skipped,
            "kept": self.kept,
            "declined": dict(self.declined),
            "dead_lettered": dict(self.dead_lettered),
            "timed": dict(self.timed),
            "protocol_frames": dict(self.protocol),
            "awaiting_settlement": self.awaiting_settlement,
            "unknown_reconcile": self.unknown_reconcile,
        }

    def collect(self) -> Iterator[Any]:
        stage = [self.stage]
        yield _counter("doran_consumed", "Messages the stage consumed.", [(stage, self.consumed)])
        yield _counter("doran_published", "Messages answered with records.", [(stage, self.published)])
        yield _counter("doran_duplicates_skipped", "Messages skipped as duplicates.", [(stage, self.skipped)])
        yield _counter("doran_kept", "Messages kept in state until their counterpart.", [(stage, self.kept)])
        for name, doc, label, counts in (
            ("doran_produced", "Records produced, by topic (dead letters included).", "topic", self.produced),
            ("doran_declined", "Messages declined by the policy, by reason.", "reason", self.declined),
            (
                "doran_dead_lettered",
                "Messages sent to the dead-letter topic, by reason.",
                "reason",
                self.dead_lettered,
            ),
            (
                "doran_protocol_frames",
                "Relay frames that were protocol traffic, by kind.",
                "kind",
                self.protocol,
            ),
            ("doran_timed", "Outcomes the stage's clock decided, by kind.", "kind", self.timed),
        ):
            yield _counter(name, doc, [([self.stage, key], n) for key, n in dict(counts).items()], label)
        yield self.handler_seconds.family("doran_handler_seconds", "Time to handle one message.", self.stage)
        yield self.batch_seconds.family("doran_batch_seconds", "Time to handle one poll batch.", self.stage)
        if self.awaiting_settlement is not None:
            awaiting = GaugeMetricFamily(
                "doran_quotes_awaiting_settlement",
                "Signed quotes that may have reached the relay, neither filled nor expired yet.",
                labels=["stage"],
            )
            awaiting.add_metric(stage, self.awaiting_settlement)
            yield awaiting
        if self.unknown_reconcile is not None:
            unknown = GaugeMetricFamily(
                "doran_quotes_unknown_reconcile",
                "Signed quotes past their deadline and grace with no status, that the relay's get_status "
                "could not be asked about yet: unknown, to reconcile.",
                labels=["stage"],
            )
            unknown.add_metric(stage, self.unknown_reconcile)
            yield unknown
        if self.monitor is not None:
            lag = GaugeMetricFamily(
                "doran_consumer_lag",
                "Messages behind the end of each partition.",
                labels=["stage", "topic", "partition"],
            )
            for (topic, partition), behind in sorted(self.monitor.lag.items()):
                lag.add_metric([self.stage, topic, str(partition)], behind)
            yield lag


def _counter(
    name: str, documentation: str, samples: list[tuple[list[str], int]], label: str | None = None
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=["stage"] if label is None else ["stage", label])
    for labels, value in samples:
        family.add_metric(labels, value)
    return family


def parse_counts(exposition: str) -> dict[str, Any]:
    """A stage's counts read back from its /metrics text, shaped like `StageMetrics.snapshot()`."""
    counts: dict[str, Any] = {
        "consumed": 0,
        "published": 0,
        "produced": 0,
        "skipped_duplicates": 0,
        "kept": 0,
    }
    counts.update(
        declined={},
        dead_lettered={},
        timed={},
        protocol_frames={},
        produced_by_topic={},
        awaiting_settlement=None,
        unknown_reconcile=None,
    )
    labelled = {"declined": "reason", "dead_lettered": "reason", "protocol_frames": "kind", "timed": "kind"}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "doran_quotes_awaiting_settlement":
                counts["awaiting_settlement"] = int(sample.value)
            if sample.name == "doran_quotes_unknown_reconcile":
                counts["unknown_reconcile"] = int(sample.value)
            if not sample.name.endswith("_total"):
                continue
            name = sample.name.removeprefix("doran_").removesuffix("_total")
            if name in labelled:
                counts[name][sample.labels[labelled[name]]] = int(sample.value)
            elif name == "produced":
                counts["produced_by_topic"][sample.labels["topic"]] = int(sample.value)
                if sample.labels["topic"] != DEAD_LETTER_TOPIC.name:
                    counts["produced"] += int(sample.value)
            elif name == "duplicates_skipped":
                counts["skipped_duplicates"] = int(sample.value)
            elif name in ("consumed", "published", "kept"):
                counts[name] = int(sample.value)
    return counts
