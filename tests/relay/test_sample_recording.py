"""samples/relay-quotes.jsonl: reproducible from its script, and as varied as the brief requires."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

from doran.relay import QuoteEvent, RejectedFrame, SubscribeAck, classify_frame, read_recording

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
RECORDING = SAMPLES / "relay-quotes.jsonl"
U128_MAX = str(2**128 - 1)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_relay_quotes", SAMPLES / "make_relay_quotes.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_recording_is_what_the_seeded_script_writes() -> None:
    lines, _ = _script().make_frames(seed=20260328, quotes=1200)
    assert RECORDING.read_text(encoding="utf-8") == "\n".join(lines) + "\n", (
        "samples/relay-quotes.jsonl is stale: run `python samples/make_relay_quotes.py`"
    )


def test_the_recording_has_acks_quotes_and_about_three_percent_malformed_frames() -> None:
    frames = [classify_frame(line) for line in read_recording(RECORDING)]
    kinds = Counter(type(frame).__name__ for frame in frames)
    _, made = _script().make_frames(seed=20260328, quotes=1200)
    wellformed = {"quote", "duplicate_quote", "subscribe_ack"}
    malformed = sum(count for kind, count in made.items() if kind not in wellformed)

    assert len(frames) >= 1200
    assert kinds[SubscribeAck.__name__] == 2
    assert 0.025 <= malformed / len(frames) <= 0.04
    rejected = [frame for frame in frames if isinstance(frame, RejectedFrame)]
    assert {frame.reason for frame in rejected} == {"not_json", "invalid_venue_message"}
    structural = ("not_json", "missing_quote_id", "missing_amount", "number_amount", "non_quote_event")
    assert len(rejected) == sum(made[kind] for kind in structural)


def test_quotes_cover_both_sides_real_asset_forms_and_the_whole_u128_range() -> None:
    frames = [classify_frame(line) for line in read_recording(RECORDING)]
    quotes = [frame.data for frame in frames if isinstance(frame, QuoteEvent)]
    one_sided = [q for q in quotes if ("exact_amount_in" in q) != ("exact_amount_out" in q)]
    exact_in = [q["exact_amount_in"] for q in one_sided if "exact_amount_in" in q]
    exact_out = [q["exact_amount_out"] for q in one_sided if "exact_amount_out" in q]
    asset_fields = ("defuse_asset_identifier_in", "defuse_asset_identifier_out")
    assets = {q[field] for q in quotes for field in asset_fields}

    assert U128_MAX in exact_in
    assert U128_MAX in exact_out
    assert "1" in exact_in
    assert "1" in exact_out
    lengths = {len(amount) for amount in exact_in + exact_out if amount.isdigit()}
    assert set(range(1, 40)) <= lengths, "every decimal length from 1 to 39 digits occurs"
    assert {"nep141:wrap.near", "nep141:usdt.tether-token.near", "nep141:eth.omft.near"} <= assets
    assert any(asset.startswith("nep245:v2_1.omni.hot.tg:") for asset in assets)


def test_every_line_is_one_compact_frame() -> None:
    for line in read_recording(RECORDING):
        assert b"\n" not in line
        try:
            message = json.loads(line)
        except ValueError:
            continue  # the deliberately broken frames
        assert line.decode() == json.dumps(message, separators=(",", ":"))
