"""What a stage produces: a record bound for one topic, already validated against its contract."""

from __future__ import annotations

from dataclasses import dataclass

from doran.contracts import Envelope
from doran.wire import decode, encode, kafka_headers, message_key

__all__ = ["Outbound", "outbound"]


@dataclass(frozen=True, slots=True)
class Outbound:
    """One record to produce: topic, key, the event's JSON bytes and its CloudEvents headers."""

    topic: str
    key: str
    value: bytes
    headers: list[tuple[str, bytes]]


def outbound(topic: str, event: Envelope) -> Outbound:
    """Serialise event for topic and re-validate the bytes, so a stage never publishes a broken message.

    Raises ContractViolation when the event breaks the topic's contract.
    """
    value = encode(event)
    decode(topic, value)
    return Outbound(topic, message_key(topic, event), value, kafka_headers(topic, event))
