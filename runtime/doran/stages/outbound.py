"""What a stage produces: a record bound for one topic, its event already validated against its contract."""

from __future__ import annotations

from dataclasses import dataclass

from doran.contracts import TOPICS, Envelope
from doran.wire import encode, kafka_headers, message_key

__all__ = ["Outbound", "outbound"]


@dataclass(frozen=True, slots=True)
class Outbound:
    """One record to produce: topic, key, the event's JSON bytes and its CloudEvents headers."""

    topic: str
    key: str
    value: bytes
    headers: list[tuple[str, bytes]]


def outbound(topic: str, event: Envelope) -> Outbound:
    """Serialise a contract event for topic with its key and headers.

    The event must be an instance of the topic's generated model, validated strictly when it was
    built (doran's builders call `model_validate(..., strict=True)`, which raises on any
    violation): that is the check that a stage never publishes a broken message, so the bytes are
    not decoded a second time here.
    """
    if type(event) is not TOPICS[topic].event_model:
        raise TypeError(f"{type(event).__name__} is not the event model of {topic}")
    return Outbound(topic, message_key(topic, event), encode(event), kafka_headers(topic, event))
