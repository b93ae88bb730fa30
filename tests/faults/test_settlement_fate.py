"""Every quote that was answered ends with its true fate (issue 18 item 4), with the real `doran stage
ingest` and `doran stage settle` processes on the embedded broker and the relay simulator over a real
websocket and HTTP on 127.0.0.1.

The signed quotes are written to exec.quote_signed by the test, as the executor would (the settlement
stage's input; what the executor does is tested in tests/stages/test_execute_*); their quote_status
events come from the relay simulator through ingest.

- Statuses pending across a restart: statuses written while settle is down, settle started again
  after the quotes' deadline and grace: every settled quote is filled, none expired (the read horizon,
  `doran.settlement.horizon`). Reconciliation is off there, so nothing but the horizon can save them.
- Relay drop: statuses the relay settled but never delivered (frames lost, or sent while ingest could
  not connect, without guaranteed delivery). With reconciliation each such quote is filled through
  get_status, and while the relay's RPC is down they stay pending, counted "unknown, reconcile", none
  expired; without it they end expired, which is the loss issue 18 saw.

tansu keeps everything in memory, but nothing here restarts the broker: these guarantees are the same
on Redpanda.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from support.faults import CHANGE_S, READY_S, stage_environment
from support.registry import produced_event

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    QuoteSettlementEvent,
)
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.relay_simulator import SimulatorThread, status_data
from doran.devkit.stage_processes import StageProcesses
from doran.devkit.traffic import TopicWatch, wait_until
from doran.nep413.base58 import b58encode
from doran.settings import Settings
from doran.wire import build, kafka_record, utc_timestamp

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GRACE_MS = 1_000
#: How long the quotes stay valid once written: enough for the stages to read them all first.
LIFETIME = timedelta(seconds=6)


def quote_hash(n: int) -> str:
    return b58encode(hashlib.sha256(f"settlement-fate-{n}".encode()).digest())


def write_signed_quotes(address: str, numbers: range, deadline: datetime) -> None:
    """exec.quote_signed records as the executor writes them (same key, same partitioner)."""
    producer = Producer({"bootstrap.servers": address, **Settings().producer_config()})
    now = utc_timestamp(datetime.now(UTC))
    for n in numbers:
        payload = {
            "command_id": f"cmd-fate-{n}",
            "idempotency_key": f"near_intents:fate-{n}",
            "execution_key": "near_intents:nep141:a.near->nep141:b.near",
            "quote_id": f"fate-{n}",
            "quote_hash": quote_hash(n),
            "quote_deadline": utc_timestamp(deadline),
        }
        event = build(
            EXEC_QUOTE_SIGNED,
            payload,
            event_id=f"quote_signed-fate-{n}",
            source="doran.execute",
            observed_at=now,
            ingested_at=now,
            raw={},
        )
        record = kafka_record(EXEC_QUOTE_SIGNED, event)
        producer.produce(record.topic, record.value, record.key, headers=record.headers)
    assert producer.flush(30) == 0


def fates(watch: TopicWatch) -> dict[str, list[QuoteSettlementEvent]]:
    found: dict[str, list[QuoteSettlementEvent]] = {}
    for arrival in watch.arrivals():
        event = produced_event(EXEC_QUOTE_SETTLEMENT, arrival.value)
        found.setdefault(event.payload.quote_hash, []).append(event)
    return found


def dead_letter_reasons(watch: TopicWatch) -> Counter[str]:
    return Counter(produced_event(DEAD_LETTER_TOPIC, a.value).payload.reason.value for a in watch.arrivals())


def outcomes(found: dict[str, list[QuoteSettlementEvent]], numbers: range) -> set[tuple[str, ...]]:
    """The distinct (outcome, how) of quotes `numbers`, each settled exactly once."""
    seen = set()
    for n in numbers:
        (event,) = found[quote_hash(n)]
        how = "reconciled" if event.payload.note.startswith("reconciled:") else "status or clock"
        seen.add((event.payload.outcome.value, how))
    return seen


def wait_past(instant: datetime) -> None:
    wait_until(lambda: datetime.now(UTC) > instant, CHANGE_S, f"the clock past {instant}")


def test_statuses_written_while_settle_is_down_fill_their_quotes_after_the_deadline_has_passed(
    restartable_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    address, quotes, settled = restartable_broker.address, range(60), range(0, 60, 2)
    overrides = {
        "settlement_grace_ms": GRACE_MS,
        "settlement_reconcile": "none",  # only the read horizon stands between a backlog and expiry
        "settlement_state_dir": tmp_path / "settlement",
        "executor_max_batch": 5,  # a backlog of many batches, read over many steps
    }
    with SimulatorThread() as relay:
        environment = stage_environment(address, relay.url, tmp_path, **overrides)
        with (
            StageProcesses(environment, tmp_path / "logs") as processes,
            TopicWatch(address, RAW_NEAR_INTENTS_QUOTE_STATUS.name, from_start=True) as statuses,
            TopicWatch(address, EXEC_QUOTE_SETTLEMENT.name, from_start=True) as settlements,
            TopicWatch(address, DEAD_LETTER_TOPIC.name, from_start=True) as dead_letters,
        ):
            processes.start("ingest", "ingest")
            settle = processes.start("settle", "settle")
            processes.wait_until_ready(READY_S)
            deadline = datetime.now(UTC) + LIFETIME
            write_signed_quotes(address, quotes, deadline)
            wait_until(lambda: settle.counts().get("kept") == len(quotes), CHANGE_S, "every quote pending")
            processes.stop("settle")

            for n in settled:  # executed on chain while settle is down
                relay.send_status(status_data(quote_hash(n)))
            wait_until(lambda: statuses.count() == len(settled), CHANGE_S, "the statuses on the bus")
            wait_past(deadline + timedelta(milliseconds=GRACE_MS) + timedelta(seconds=1))
            assert settlements.count() == 0

            processes.start("settle-again", "settle")
            wait_until(lambda: settlements.count() >= len(quotes), CHANGE_S, "every quote settled")
            time.sleep(1)  # anything more would come at once: every quote is settled exactly once below

            found = fates(settlements)
            assert set(found) == {quote_hash(n) for n in quotes}
            assert outcomes(found, settled) == {("filled", "status or clock")}
            assert outcomes(found, range(1, 60, 2)) == {("expired", "status or clock")}
            assert dead_letter_reasons(dead_letters) == Counter()


@pytest.mark.parametrize("reconcile", ["relay", "none"])
def test_statuses_the_relay_never_delivered_are_reconciled_through_get_status(
    restartable_broker: EmbeddedBroker, tmp_path: Path, reconcile: str
) -> None:
    address = restartable_broker.address
    delivered, dropped, while_away, unused = range(0, 8), range(8, 16), range(16, 24), range(24, 32)
    with SimulatorThread() as relay:
        overrides = {
            "settlement_grace_ms": GRACE_MS,
            "settlement_reconcile": reconcile,
            "relay_rpc_url": relay.rpc_url,
            "settlement_reconcile_retry_ms": 300,
            "settlement_state_dir": tmp_path / "settlement",
        }
        environment = stage_environment(address, relay.url, tmp_path, **overrides)
        with (
            StageProcesses(environment, tmp_path / "logs") as processes,
            TopicWatch(address, EXEC_QUOTE_SETTLEMENT.name, from_start=True) as settlements,
            TopicWatch(address, DEAD_LETTER_TOPIC.name, from_start=True) as dead_letters,
        ):
            ingest = processes.start("ingest", "ingest")
            settle = processes.start("settle", "settle")
            processes.wait_until_ready(READY_S)
            relay.set_refuse_rpc(True)  # the relay's RPC is down at first
            deadline = datetime.now(UTC) + LIFETIME
            write_signed_quotes(address, range(32), deadline)
            for n in delivered:
                relay.send_status(status_data(quote_hash(n)))
            for n in dropped:  # settled on chain, the quote_status frame lost
                relay.drop_status(status_data(quote_hash(n)))
            relay.set_refuse_connections(True)  # ingest away, no guaranteed delivery
            assert relay.drop_connections() == 1
            wait_until(lambda: ingest.status("/readyz") == 503, CHANGE_S, "ingest away from the relay")
            for n in while_away:
                relay.send_status(status_data(quote_hash(n)))
            relay.set_refuse_connections(False)
            wait_until(ingest.ready, CHANGE_S, "ingest back")

            wait_until(lambda: settlements.count() >= len(delivered), CHANGE_S, "the delivered statuses")
            wait_past(deadline + timedelta(milliseconds=GRACE_MS))
            lost = len(dropped) + len(while_away)
            if reconcile == "relay":
                # No answer from the relay: nothing expires, each quote without a status is unknown.
                wait_until(
                    lambda: settle.counts().get("unknown_reconcile") == lost + len(unused),
                    CHANGE_S,
                    "the quotes without a status counted unknown",
                )
                assert settlements.count() == len(delivered)
                assert "unknown, reconcile" in settle.log_path.read_text()
                relay.set_refuse_rpc(False)
            wait_until(lambda: settlements.count() >= 32, CHANGE_S, "every quote settled")
            time.sleep(1)  # anything more would come at once: every quote is settled exactly once below
            counts = settle.counts()

            found = fates(settlements)
            assert set(found) == {quote_hash(n) for n in range(32)}
            assert outcomes(found, delivered) == {("filled", "status or clock")}
            assert dead_letter_reasons(dead_letters) == Counter()
            if reconcile == "relay":
                assert outcomes(found, range(8, 24)) == {("filled", "reconciled")}
                assert {found[quote_hash(n)][0].payload.tx_hash for n in dropped} == {
                    status_data(quote_hash(n))["tx_hash"] for n in dropped
                }
                assert outcomes(found, unused) == {("expired", "reconciled")}
                assert (counts["unknown_reconcile"], counts["awaiting_settlement"]) == (0, 0)
                assert counts["timed"] == {"reconciled_filled": lost, "expired": len(unused)}
            else:
                # Without reconciliation a lost status is a fill recorded as expired: what issue 18 saw.
                assert outcomes(found, range(8, 32)) == {("expired", "status or clock")}
                assert relay.rpc_requests() == 0
