"""StageMetrics: the exposition Prometheus scrapes says what the stage counted, and reads back the same."""

from __future__ import annotations

from prometheus_client import generate_latest

from doran.contracts import DEAD_LETTER_TOPIC
from doran.stages.handling import Handled
from doran.stages.metrics import ConsumerMonitor, StageMetrics, parse_counts
from doran.wire import KafkaRecord


def counted() -> StageMetrics:
    metrics = StageMetrics("execute")
    metrics.consumed = 12
    metrics.skipped = 2
    metrics.produced.update({"exec.trade_result": 7, "exec.quote_settlement": 1, "dlq.doran": 2})
    metrics.dead_lettered.update({"not_json": 1, "unknown_quote_hash": 1})
    metrics.awaiting_settlement = 4
    return metrics


def test_the_exposition_reads_back_as_the_snapshot() -> None:
    metrics = counted()
    read = parse_counts(generate_latest(metrics.registry).decode())
    assert read == {k: v for k, v in metrics.snapshot().items() if k != "stage"}
    # consumed = produced + declined + dead-lettered + skipped, dead letters not counted as produced
    assert (read["consumed"], read["produced"], read["awaiting_settlement"]) == (12, 8, 4)


def test_a_stage_without_settlements_exposes_no_settlement_gauge() -> None:
    exposition = generate_latest(StageMetrics("normalize").registry).decode()
    assert "awaiting_settlement" not in exposition
    assert parse_counts(exposition)["awaiting_settlement"] is None


def test_lag_and_liveness_come_from_the_consumer_statistics() -> None:
    now = [100.0]
    monitor = ConsumerMonitor(clock=lambda: now[0])
    monitor.on_stats(
        '{"topics": {"cmd.execute_trade": {"partitions": {'
        '"0": {"fetch_state": "active", "hi_offset": 50, "ls_offset": 40, "app_offset": 25},'
        '"1": {"fetch_state": "none"}, "-1": {}}}}}'
    )
    metrics = StageMetrics("execute", monitor)
    exposition = generate_latest(metrics.registry).decode()
    assert monitor.assigned == {("cmd.execute_trade", 0)}
    assert 'doran_consumer_lag{partition="0",stage="execute",topic="cmd.execute_trade"} 15.0' in exposition
    now[0] = 104.0
    assert monitor.polled_within(5)
    now[0] = 106.0
    assert not monitor.polled_within(5)


def _record(topic: str) -> KafkaRecord:
    return KafkaRecord(topic, "key", b"{}", [])


def test_each_message_is_counted_once_by_how_it_ended_and_the_rule_holds() -> None:
    # The one counting rule of every stage: consumed = published + declined + dead-lettered + skipped.
    metrics = StageMetrics("any")
    for handled in (
        Handled((_record("norm.swap_demand"),)),
        Handled((_record("exec.trade_result"), _record("exec.quote_signed"))),  # one message, two records
        Handled((), declined="pair_not_allowed"),
        Handled((_record(DEAD_LETTER_TOPIC.name),), dead_letter="not_json"),
        Handled((), skipped="duplicate"),
        Handled((), protocol="subscribed:quote"),  # relay protocol traffic: no message of the pipeline
    ):
        metrics.count(handled)
    counts = parse_counts(generate_latest(metrics.registry).decode())
    assert counts == {k: v for k, v in metrics.snapshot().items() if k != "stage"}
    assert (counts["consumed"], counts["published"], counts["skipped_duplicates"]) == (5, 2, 1)
    assert (counts["declined"], counts["dead_lettered"]) == ({"pair_not_allowed": 1}, {"not_json": 1})
    assert counts["protocol_frames"] == {"subscribed:quote": 1}
    assert counts["produced"] == 3 and counts["produced_by_topic"][DEAD_LETTER_TOPIC.name] == 1
    ended = counts["published"] + counts["skipped_duplicates"]
    ended += sum(counts["declined"].values()) + sum(counts["dead_lettered"].values())
    assert counts["consumed"] == ended
