"""The journal: summary counts, and waiting on a condition that another thread makes true."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from doran.devkit.relay_simulator import (
    Instant,
    Journal,
    PublishedQuote,
    ReceivedResponse,
    SentStatus,
    StatusKind,
    WaitTimeout,
)

AT = Instant(1.0, datetime(2025, 1, 1, tzinfo=UTC))


def _response(verdict: str) -> ReceivedResponse:
    return ReceivedResponse(1, 7, "q", AT, {}, verdict, None, True)


def test_the_summary_counts_what_happened() -> None:
    journal = Journal()
    journal.add_event(PublishedQuote("q", {"quote_id": "q"}, AT, 2, 4.0))
    journal.add_raw_frame()
    for verdict in (
        "OK",
        "OK",
        "invalid signature",
        "quote not found or already finished",
        "invalid signature",
    ):
        journal.add_response(_response(verdict))
    kinds: tuple[StatusKind, ...] = ("settlement", "duplicate", "unknown", "settlement")
    for kind in kinds:
        journal.add_status(SentStatus(kind, {"quote_hash": "h"}, AT, 1, None))

    assert journal.summary().as_dict() == {
        "quotes_published": 1,
        "raw_frames_sent": 1,
        "responses_received": 5,
        "accepted": 2,
        "refused": {"invalid signature": 2, "quote not found or already finished": 1},
        "settlements_sent": 2,
        "duplicates_sent": 1,
        "unknown_sent": 1,
    }


def test_wait_for_returns_once_another_thread_makes_the_condition_true() -> None:
    journal = Journal()
    recorder = threading.Timer(0.05, lambda: journal.add_response(_response("OK")))
    recorder.start()
    try:
        responses = journal.wait_for(journal.responses, timeout=30)
    finally:
        recorder.join()

    assert [r.verdict for r in responses] == ["OK"]


def test_wait_for_gives_up_with_a_specific_error() -> None:
    journal = Journal()
    started = time.monotonic()

    with pytest.raises(WaitTimeout, match=r"did not hold within 0\.1 s"):
        journal.wait_for(journal.responses, timeout=0.1)
    assert time.monotonic() - started >= 0.1
    assert issubclass(WaitTimeout, TimeoutError)
