"""What a stage consumed: one message, where it was read, its bytes exactly as received and its headers."""

from __future__ import annotations

from dataclasses import dataclass

from doran.wire import Headers

__all__ = ["Consumed"]


@dataclass(frozen=True, slots=True)
class Consumed:
    """One consumed message: a topic's record (its partition and offset), or a venue feed's frame (no
    offsets; `topic` names the feed). A dead letter keeps all of it but the headers, to say where to
    re-feed it; the headers are where a record may name its schema (`__value_schema_id`)."""

    topic: str
    partition: int | None
    offset: int | None
    key: bytes | None
    value: bytes
    headers: Headers | None = None
