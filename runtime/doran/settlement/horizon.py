"""How far back in time one input partition has surely been read: the clock may decide about a record
that could still be on that partition only once everything written there before the decision's
instant has been read.

A mark is the partition's high watermark asked of the broker at an instant (read on the clock before
asking): every record appended before that instant lies below it. Once the consumer's position
reaches the mark, the partition has been read through that instant. Asking costs the broker one
round trip, so a horizon asks only when a decision waits on it, at most once per `every`. A mark
claims `slack` less than the instant it was asked at, where the end it holds may be that old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["ReadHorizon"]

_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class ReadHorizon:
    """One partition's `through`: every record written to it before that instant has been read."""

    every: timedelta = timedelta(milliseconds=250)
    slack: timedelta = timedelta(0)
    through: datetime = _LONG_AGO
    _mark: tuple[datetime, int] | None = None
    _asked_at: datetime = _LONG_AGO

    def wants_mark(self, needed: datetime, now: datetime) -> bool:
        """Whether to ask the broker for a mark now: a decision waits for `needed` (an instant a mark
        asked now would cover), no mark is outstanding, and the last was asked long enough ago."""
        return (
            self.through < needed <= now - self.slack
            and self._mark is None
            and now - self._asked_at >= self.every
        )

    @property
    def marked(self) -> bool:
        """A mark is outstanding: the consumer's position is to be compared with it."""
        return self._mark is not None

    def mark(self, asked_at: datetime, high_watermark: int) -> None:
        """The broker said the partition ended at `high_watermark` when asked at `asked_at`."""
        self._asked_at = asked_at
        if asked_at - self.slack > self.through:
            self._mark = (asked_at - self.slack, high_watermark)

    def read_to(self, position: int) -> None:
        """The consumer's next offset to read on the partition is `position`."""
        if self._mark is not None and position >= self._mark[1]:
            self.through = max(self.through, self._mark[0])
            self._mark = None
