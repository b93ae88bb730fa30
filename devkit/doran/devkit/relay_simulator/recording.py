"""Quote requests out of a JSONL recording of relay frames, for broadcasting them through the simulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from doran.devkit.recording.lines import read_recording
from doran.relay import EVENT_METHOD, Notification, parse_frame

__all__ = ["quotes_from_recording"]


def _fresh_id() -> str:
    return str(uuid.uuid4())


def quotes_from_recording(
    source: Path | Iterable[str | bytes],
    *,
    fresh_ids: bool = False,
    new_id: Callable[[], str] = _fresh_id,
) -> list[dict[str, Any]]:
    """The `params.data` of every event frame carrying a quote request (an object with a `quote_id`
    member), in recorded order; other frames (acks, statuses, malformed lines) are skipped.

    `source` is a recording file or its lines. With `fresh_ids`, each quote gets `new_id()` as its
    quote_id (a uuid4 by default), so a broadcast opens new auctions instead of reusing recorded ids.
    """
    lines = read_recording(source) if isinstance(source, Path) else source
    quotes: list[dict[str, Any]] = []
    for line in lines:
        frame = parse_frame(line)
        if not isinstance(frame, Notification) or frame.method != EVENT_METHOD:
            continue
        if isinstance(frame.data, dict) and "quote_id" in frame.data:
            quotes.append((frame.data | {"quote_id": new_id()}) if fresh_ids else frame.data)
    return quotes
