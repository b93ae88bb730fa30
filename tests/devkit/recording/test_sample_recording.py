"""samples/relay-quotes.jsonl: reproducible from its script, and as varied as the brief requires."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from doran.devkit.recording import read_recording
from doran.relay import Notification, ReceivedFrame, parse_frame
from doran.stages.ingest import FrameIngest

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
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


def _outcomes() -> list[str]:
    ingest = FrameIngest("recording:relay-quotes.jsonl", max_frame_bytes=2**18, max_record_bytes=10**6)
    now = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    return [
        handled.protocol or handled.dead_letter or "quote"
        for handled in (ingest(ReceivedFrame(line, None), now) for line in read_recording(RECORDING))
    ]


def test_the_recording_has_acks_quotes_and_about_three_percent_malformed_frames() -> None:
    outcomes = Counter(_outcomes())
    _, made = _script().make_frames(seed=20260328, quotes=1200)
    wellformed = {"quote", "duplicate_quote", "subscribe_ack"}
    malformed = sum(count for kind, count in made.items() if kind not in wellformed)

    assert sum(outcomes.values()) >= 1200
    assert outcomes["subscribed:quote"] == 2
    assert outcomes["quote"] == made["quote"] + made["duplicate_quote"]
    assert outcomes["not_json"] == made["not_json"]
    assert outcomes["invalid_venue_message"] == malformed - made["not_json"]
    assert 0.025 <= malformed / sum(outcomes.values()) <= 0.04


def test_quotes_cover_both_sides_real_asset_forms_and_the_whole_u128_range() -> None:
    frames = [parse_frame(line) for line in read_recording(RECORDING)]
    quotes = [
        f.data
        for f in frames
        if isinstance(f, Notification) and isinstance(f.data, dict) and "quote_id" in f.data
    ]
    one_sided = [q for q in quotes if ("exact_amount_in" in q) != ("exact_amount_out" in q)]
    exact_in = [q["exact_amount_in"] for q in one_sided if "exact_amount_in" in q]
    exact_out = [q["exact_amount_out"] for q in one_sided if "exact_amount_out" in q]
    asset_fields = ("defuse_asset_identifier_in", "defuse_asset_identifier_out")
    assets = {q[field] for q in quotes for field in asset_fields if field in q}

    assert U128_MAX in exact_in
    assert U128_MAX in exact_out
    assert "1" in exact_in
    assert "1" in exact_out
    lengths = {len(amount) for amount in exact_in + exact_out if isinstance(amount, str) and amount.isdigit()}
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
