"""The steady send schedule, and quote requests read back from the sample recording."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from doran.devkit.relay_simulator import Pacer, quotes_from_recording

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "relay-quotes.jsonl"


def test_sends_are_due_on_an_absolute_schedule() -> None:
    pacer = Pacer(start=10.0, rate_per_s=4.0)

    assert [pacer.due(n) for n in range(4)] == [10.0, 10.25, 10.5, 10.75]
    assert pacer.wait_s(1, now=10.1) == pytest.approx(0.15)
    assert pacer.wait_s(1, now=10.4) == 0.0  # late: send at once, the next one stays on schedule
    assert pacer.due(2) == 10.5


@pytest.mark.parametrize("rate", [0.0, -1.0, float("inf"), float("nan")])
def test_a_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(ValueError, match="rate_per_s"):
        Pacer(0.0, rate)


def test_the_recording_yields_its_quote_requests_in_order() -> None:
    quotes = quotes_from_recording(SAMPLE)

    assert len(quotes) == 1189  # event frames whose data has a quote_id; statuses and junk skipped
    first = json.loads(SAMPLE.read_text().splitlines()[1])["params"]["data"]
    assert quotes[0] == first
    assert all("quote_id" in quote for quote in quotes)


def test_quotes_can_be_reidentified_with_fresh_ids() -> None:
    recorded = quotes_from_recording(SAMPLE)
    counter = itertools.count()
    fresh = quotes_from_recording(SAMPLE, fresh_ids=True, new_id=lambda: f"fresh-{next(counter)}")

    assert [quote["quote_id"] for quote in fresh[:3]] == ["fresh-0", "fresh-1", "fresh-2"]
    assert [{**q, "quote_id": None} for q in fresh] == [{**q, "quote_id": None} for q in recorded]
    default_fresh = quotes_from_recording(SAMPLE, fresh_ids=True)
    assert len({quote["quote_id"] for quote in default_fresh}) == len(recorded)
    assert not {quote["quote_id"] for quote in default_fresh} & {quote["quote_id"] for quote in recorded}


def test_lines_may_be_given_instead_of_a_file() -> None:
    lines = [
        '{"jsonrpc":"2.0","id":1,"result":"sub"}',
        '{"jsonrpc":"2.0","method":"event","params":{"subscription":"sub","data":{"quote_id":"a"}}}',
        '{"jsonrpc":"2.0","method":"event","params":{"subscription":"s2","data":{"quote_hash":"h"}}}',
        "not json",
    ]

    assert quotes_from_recording(lines) == [{"quote_id": "a"}]
