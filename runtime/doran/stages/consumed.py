"""What a stage consumed: one message, where it was read, and its bytes exactly as received."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Consumed"]


@dataclass(frozen=True, slots=True)
class Consumed:
    """One consumed message: a topic's record (its partition and offset), or a venue feed's frame (no
    offsets; `topic` names the feed). A dead letter keeps all of it, to say where to re-feed it."""

    topic: str
    partition: int | None
    offset: int | None
    key: bytes | None
    value: bytes
