"""The settle stage on a real broker: each signed quote settles once whichever input comes first,
statuses too late or for no quote are dead-lettered, and a lost state directory is restored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from support.broker import stage_settings
from support.registry import produced_event
from support.venues import quote_status
from support.waiting import stage_in_thread, wait_until

from doran.broker import TopicReader
from doran.contracts import (
    DEAD_LETTER_TOPIC,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    TOPICS,
    DeadLetterEvent,
    Envelope,
    QuoteSettlementEvent,
    SettlementOutcome,
)
from doran.nep413.base58 import b58encode
from doran.settings import Settings
from doran.stages.metrics import StageMetrics
from doran.stages.settle import run_settle_stage
from doran.wire import build, kafka_record, utc_timestamp

pytestmark = pytest.mark.integration

GRACE_MS, WAIT_MS = 500, 1_500


def quote_hash(n: int) -> str:
    return b58encode(bytes([n]) * 32)


def signed(n: int, deadline: datetime) -> Envelope:
    payload = {
        "command_id": f"cmd-q-{n}",
        "idempotency_key": f"near_intents:q-{n}",
        "execution_key": "near_intents:nep141:a.near->nep141:b.near",
        "quote_id": f"q-{n}",
        "quote_hash": quote_hash(n),
        "quote_deadline": utc_timestamp(deadline),
    }
    return build(
        EXEC_QUOTE_SIGNED,
        payload,
        event_id=f"quote_signed-{n}",
        source="doran.execute",
        observed_at=utc_timestamp(datetime.now(UTC)),
        ingested_at=utc_timestamp(datetime.now(UTC)),
        raw={},
    )


def produce(broker: str, *events: Envelope) -> None:
    # The stages' partitioner: a quote and its status land in partitions of the same number.
    producer = Producer({"bootstrap.servers": broker, **Settings().producer_config()})
    for event in events:
        topic = EXEC_QUOTE_SIGNED if event.event_type == "quote_signed" else RAW_NEAR_INTENTS_QUOTE_STATUS
        record = kafka_record(topic, event)  # type: ignore[arg-type]
        producer.produce(record.topic, record.value, record.key, headers=record.headers)
    assert producer.flush(30) == 0


def read(broker: str, topic: str) -> list[Any]:
    with TopicReader(broker, timeout_s=60) as reader:
        return [produced_event(TOPICS[topic], r.value) for r in reader.read_all([topic])]


def settle_settings(tmp_path: Path, broker: str, **overrides: Any) -> Settings:
    """No relay here: quotes without a status expire (reconciliation: tests/faults/test_settlement_fate)."""
    return stage_settings(
        tmp_path, broker, settlement_grace_ms=GRACE_MS, settlement_reconcile="none", **overrides
    )


@contextmanager
def running_settlement(settings: Settings) -> Iterator[StageMetrics]:
    metrics = StageMetrics("settle")
    address = str(settings.broker_address)
    with stage_in_thread(
        "settle", lambda stop: run_settle_stage(settings, address, metrics=metrics, stop=stop)
    ):
        yield metrics


def settlements(broker: str) -> dict[str, list[QuoteSettlementEvent]]:
    found: dict[str, list[QuoteSettlementEvent]] = {}
    for event in read(broker, EXEC_QUOTE_SETTLEMENT.name):
        found.setdefault(event.payload.quote_hash, []).append(event)
    return found


def test_each_quote_settles_once_and_late_or_unknown_statuses_are_dead_lettered(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settle_settings(tmp_path, fresh_broker, settlement_unmatched_wait_ms=WAIT_MS)
    now = datetime.now(UTC)
    later, past = now + timedelta(minutes=5), now - timedelta(seconds=10)
    produce(fresh_broker, quote_status(quote_hash(1), "nears-early"))  # before its quote
    produce(
        fresh_broker,
        signed(1, later),
        signed(2, later),
        signed(3, now + timedelta(seconds=1)),
        signed(4, past),
    )
    produce(
        fresh_broker, quote_status(quote_hash(2), "nears-2"), quote_status(quote_hash(2), "nears-2-again")
    )
    produce(fresh_broker, quote_status(quote_hash(9), "nears-stranger"))

    with running_settlement(settings) as metrics:
        wait_until(lambda: metrics.timed["expired"] == 2, "quotes 3 and 4 expired")
        produce(fresh_broker, quote_status(quote_hash(4), "nears-too-late"))
        wait_until(lambda: metrics.timed["unknown_quote_hash"] == 1, "the stranger's wait is over")
        wait_until(lambda: metrics.consumed == 9, "every record consumed")
        counts = metrics.snapshot()

    found = settlements(fresh_broker)
    assert {h: [e.payload.outcome for e in found[h]] for h in found} == {
        quote_hash(1): [SettlementOutcome.FILLED],
        quote_hash(2): [SettlementOutcome.FILLED],
        quote_hash(3): [SettlementOutcome.EXPIRED],
        quote_hash(4): [SettlementOutcome.EXPIRED],
    }
    assert found[quote_hash(2)][0].payload.tx_hash is not None
    letters = [e for e in read(fresh_broker, DEAD_LETTER_TOPIC.name) if isinstance(e, DeadLetterEvent)]
    assert Counter((e.payload.stage.value, e.payload.reason.value) for e in letters) == {
        ("settle", "settled_after_expiry"): 1,
        ("settle", "unknown_quote_hash"): 1,
    }
    # Each consumed record ended one way: 4 quotes and 5 statuses.
    dead = sum(counts["dead_lettered"].values())
    assert (
        counts["consumed"] == counts["published"] + counts["skipped_duplicates"] + dead + counts["kept"] == 9
    )
    assert (counts["published"], counts["skipped_duplicates"], dead) == (2, 1, 1)
    assert counts["awaiting_settlement"] == 0
    # What it wrote, the clock's records included: every record on its topics is counted.
    assert counts["produced_by_topic"] == {EXEC_QUOTE_SETTLEMENT.name: 4, DEAD_LETTER_TOPIC.name: 2}


def test_a_deleted_state_directory_is_restored_and_settles_nothing_twice(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settle_settings(tmp_path, fresh_broker)
    later = datetime.now(UTC) + timedelta(minutes=5)
    produce(fresh_broker, *(signed(n, later) for n in range(1, 21)))
    produce(fresh_broker, *(quote_status(quote_hash(n), f"nears-{n}") for n in range(1, 11)))
    with running_settlement(settings) as metrics:
        wait_until(lambda: metrics.consumed == 30, "every record consumed")
    for leftover in settings.settlement_state_dir.iterdir():
        leftover.unlink()

    # The same statuses again (the relay's guaranteed delivery replays), and the rest of the fills.
    produce(fresh_broker, *(quote_status(quote_hash(n), f"nears-{n}") for n in range(1, 21)))
    with running_settlement(settings) as metrics:
        wait_until(lambda: metrics.consumed == 20, "every record consumed")
        counts = metrics.snapshot()

    assert (counts["published"], counts["skipped_duplicates"]) == (10, 10)
    assert {h: len(events) for h, events in settlements(fresh_broker).items()} == {
        quote_hash(n): 1 for n in range(1, 21)
    }


def test_statuses_written_while_the_stage_was_down_fill_their_quotes_though_the_deadline_passed(
    fresh_broker: str, tmp_path: Path
) -> None:
    # A backlog of several small batches: the clock may act only once the statuses are read.
    settings = settle_settings(tmp_path, fresh_broker, executor_max_batch=3)
    deadline = datetime.now(UTC) + timedelta(seconds=4)
    produce(fresh_broker, *(signed(n, deadline) for n in range(1, 31)))
    with running_settlement(settings) as metrics:
        wait_until(lambda: metrics.kept == 30, "every quote pending")
    produce(fresh_broker, *(quote_status(quote_hash(n), f"nears-{n}") for n in range(1, 16)))
    wait_until(lambda: datetime.now(UTC) > deadline + timedelta(milliseconds=GRACE_MS), "the deadline passed")

    with running_settlement(settings) as metrics:
        wait_until(lambda: metrics.consumed == 15 and metrics.timed["expired"] == 15, "every quote settled")
        counts = metrics.snapshot()

    found = settlements(fresh_broker)
    assert {n: [e.payload.outcome for e in found[quote_hash(n)]] for n in range(1, 31)} == {
        n: [SettlementOutcome.FILLED if n <= 15 else SettlementOutcome.EXPIRED] for n in range(1, 31)
    }
    assert (counts["published"], counts["dead_lettered"]) == (15, {})
