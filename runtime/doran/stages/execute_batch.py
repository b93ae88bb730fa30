"""One executor batch without Kafka: decode each consumed record, run the batch, and say what to publish.

Input is a poll batch of commands (cmd.execute_trade) and settlement notifications
(raw.near_intents.quote_status); output the records to publish in one transaction, in input
order, followed by the settlements of quotes whose deadline passed, and how each message ended:
consumed = produced + skipped + dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_TRADE_RESULT,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterReason,
    DeadLetterStage,
    Envelope,
    ExecuteTradeEvent,
    NearIntentsQuoteStatusRawEvent,
    Violation,
)
from doran.executor import ExecutorStore, OutcomeKind, SettlementKind, Venue, run_batch
from doran.schema_source.registry import TopicSpec
from doran.stages.dead_letter import dead_letter
from doran.stages.handling import Consumed, oversize_violation
from doran.wire import ContractViolation, Framing, KafkaRecord, kafka_record

__all__ = ["BatchOutput", "execute_batch"]

#: What the executor consumes.
INPUTS = (CMD_EXECUTE_TRADE, RAW_NEAR_INTENTS_QUOTE_STATUS)


@dataclass(slots=True)
class BatchOutput:
    """What one batch publishes, and how each consumed message ended."""

    records: list[KafkaRecord] = field(default_factory=list)
    skipped: int = 0  # duplicates whose result or settlement is already published
    dead_letters: list[str] = field(default_factory=list)  # one reason per dead-lettered message
    expired: list[str] = field(default_factory=list)  # quote hashes whose expiry settlement is in `records`


@dataclass(frozen=True, slots=True)
class _Rejected:
    reason: DeadLetterReason
    violations: list[Violation]


class _Batch:
    """Builds a batch's records: each within the broker's size limit, or its message's dead letter."""

    def __init__(self, now: datetime, limit: int) -> None:
        self.now, self.limit, self.output = now, limit, BatchOutput()

    def reject(self, message: Consumed, reason: DeadLetterReason, violations: list[Violation]) -> None:
        letter = dead_letter(
            DeadLetterStage.EXECUTE, reason, violations, message, now=self.now, max_record_bytes=self.limit
        )
        self.output.records.append(letter)
        self.output.dead_letters.append(reason.value)

    def publish(self, message: Consumed | None, topic: TopicSpec[Envelope], event: Envelope) -> bool:
        record = kafka_record(topic, event)
        if record.size <= self.limit:
            self.output.records.append(record)
            return True
        if message is not None:
            self.reject(message, DeadLetterReason.MESSAGE_TOO_LARGE, [oversize_violation(record, self.limit)])
        return False


def _decode(
    message: Consumed, framing: Framing
) -> ExecuteTradeEvent | NearIntentsQuoteStatusRawEvent | _Rejected:
    try:
        if message.topic == CMD_EXECUTE_TRADE.name:
            return framing.decode(CMD_EXECUTE_TRADE, message.value, message.headers)
        return framing.decode(RAW_NEAR_INTENTS_QUOTE_STATUS, message.value, message.headers)
    except ContractViolation as exc:
        return _Rejected(exc.reason, exc.violations)


def execute_batch(
    messages: Sequence[Consumed],
    store: ExecutorStore,
    venue: Venue,
    *,
    now: datetime,
    grace: timedelta,
    max_record_bytes: int,
    framing: Framing,
) -> BatchOutput:
    """Decode, run (`run_batch`), and turn every outcome into records, in input order.

    A duplicate command is published again only when it is a redelivery of the very command event
    whose result is stored (its earlier transaction was aborted) and not already published in this
    batch; the same holds for a quote_status and the settlement it made. `framing` reads the consumed
    records in any framing; the records returned hold bare JSON, framed by the producer.
    """
    decoded = [_decode(message, framing) for message in messages]
    commands = [d for d in decoded if isinstance(d, ExecuteTradeEvent)]
    statuses = [d for d in decoded if isinstance(d, NearIntentsQuoteStatusRawEvent)]
    outcome = run_batch(commands, store, venue, now=now, statuses=statuses, grace=grace)
    executed, settled = iter(outcome.commands), iter(outcome.settlements)
    batch = _Batch(now, max_record_bytes)
    published: set[str] = set()
    for message, item in zip(messages, decoded, strict=True):
        if isinstance(item, _Rejected):
            batch.reject(message, item.reason, item.violations)
        elif isinstance(item, ExecuteTradeEvent):
            command = next(executed)
            result = command.result
            if command.kind is OutcomeKind.DUPLICATE:
                again = command.redelivery and command.command_id not in published
                result = command.stored_result if again else None
            if result is None:
                batch.output.skipped += 1
            elif batch.publish(message, EXEC_TRADE_RESULT, result):
                published.add(command.command_id)
        else:
            settlement = next(settled)
            if settlement.kind in (SettlementKind.UNKNOWN, SettlementKind.AFTER_EXPIRY):
                text = _REFUSALS[settlement.kind].format(item.payload.message.quote_hash)
                batch.reject(
                    message,
                    DeadLetterReason(settlement.kind.value),
                    [Violation(pointer="/payload/message/quote_hash", message=text)],
                )
            elif settlement.event is None or settlement.event.event_id in published:
                batch.output.skipped += 1
            elif batch.publish(message, EXEC_QUOTE_SETTLEMENT, settlement.event):
                published.add(settlement.event.event_id)
    for quote, event in outcome.expired:
        if batch.publish(None, EXEC_QUOTE_SETTLEMENT, event):
            batch.output.expired.append(quote.quote_hash)
    return batch.output


_REFUSALS = {
    SettlementKind.UNKNOWN: "quote_hash {} names no quote this executor signed",
    SettlementKind.AFTER_EXPIRY: "quote_hash {} names a quote already declared expired (its settlement "
    "came too late: raise DORAN_SETTLEMENT_GRACE_MS)",
}
