"""The ingest stage's verdict on a dead-lettered relay frame, as the code running now gives it.

A relay feed cannot be re-fed (the relay does not resend frames), so replaying an ingest dead letter
means running its original frame through `FrameIngest` again and producing what it yields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from doran.relay import ReceivedFrame
from doran.stages.handling import Handled
from doran.stages.ingest import FrameIngest

__all__ = ["FrameReingest"]


@dataclass(frozen=True, slots=True)
class FrameReingest:
    """Judges one original frame of a feed as ingest would now, with ingest's limits and a fixed `now`."""

    max_frame_bytes: int
    max_record_bytes: int
    now: datetime

    def __call__(self, feed: str, frame: bytes) -> Handled:
        # A fresh FrameIngest per frame: it remembers subscription acks, and one dead letter's verdict must
        # not depend on which others were judged before it. Without acks it routes an event by its shape.
        ingest = FrameIngest(
            feed, max_frame_bytes=self.max_frame_bytes, max_record_bytes=self.max_record_bytes
        )
        # The time of receipt is not kept in a dead letter: the raw event's observed_at stays unset,
        # as for a recording.
        return ingest(ReceivedFrame(frame, None), self.now)
