"""When to ask the relay about a quote whose fate no quote_status told: the schedule of one partition's
"unknown, reconcile" quotes; pure (the settle stage asks, `doran.relay.intent_status`).

A quote past its deadline and grace with no status read is asked about at once. An answer that is not
final (PENDING, TX_BROADCASTED) and a relay that could not be asked both bring the question back later,
`retry` at first and twice as long each time up to `longest`: the number of requests stays bounded per
quote and per minute, and the quote stays pending (never expired unconfirmed) until an answer is final
or its quote_status comes after all.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["ReconcileSchedule"]


@dataclass(slots=True)
class _Question:
    next_at: datetime
    attempts: int = 0
    unreachable: bool = False  # the last ask got no answer: counted "unknown, reconcile"
    in_flight: bool = False


@dataclass(slots=True)
class ReconcileSchedule:
    """The quotes to ask the relay about, and when."""

    retry: timedelta
    longest: timedelta = timedelta(minutes=1)
    _questions: dict[str, _Question] = field(default_factory=dict)
    _times: list[tuple[datetime, str]] = field(default_factory=list)

    def __contains__(self, quote_hash: object) -> bool:
        return quote_hash in self._questions

    def __len__(self) -> int:
        return len(self._questions)

    @property
    def unknown(self) -> int:
        """Quotes whose last question got no answer from the relay."""
        return sum(1 for question in self._questions.values() if question.unreachable)

    def add(self, quote_hash: str, now: datetime) -> None:
        """Ask about `quote_hash` (at once)."""
        if quote_hash not in self._questions:
            self._questions[quote_hash] = _Question(now)
            heapq.heappush(self._times, (now, quote_hash))

    def to_ask(self, now: datetime, limit: int) -> list[str]:
        """Up to `limit` quotes to ask about now; each is in flight until `answered`, `unreachable` or
        `forget`."""
        asked: list[str] = []
        while self._times and self._times[0][0] <= now and len(asked) < limit:
            at, quote_hash = heapq.heappop(self._times)
            question = self._questions.get(quote_hash)
            if question is None or question.in_flight or question.next_at != at:
                continue  # settled meanwhile, or rescheduled
            question.in_flight = True
            question.attempts += 1
            asked.append(quote_hash)
        return asked

    def answered(self, quote_hash: str, now: datetime, *, final: bool) -> None:
        """The relay answered; a final answer settles the quote, another asks again later."""
        if final:
            self.forget(quote_hash)
        else:
            self._again(quote_hash, now, unreachable=False)

    def unreachable(self, quote_hash: str, now: datetime) -> None:
        """The relay could not be asked: the quote stays unknown and is asked again later."""
        self._again(quote_hash, now, unreachable=True)

    def forget(self, quote_hash: str) -> None:
        """The quote settled another way (its quote_status came) or left this replica."""
        self._questions.pop(quote_hash, None)

    def _again(self, quote_hash: str, now: datetime, *, unreachable: bool) -> None:
        question = self._questions.get(quote_hash)
        if question is None:
            return
        wait = min(self.longest, self.retry * 2 ** max(0, question.attempts - 1))
        question.next_at, question.in_flight, question.unreachable = now + wait, False, unreachable
        heapq.heappush(self._times, (question.next_at, quote_hash))
