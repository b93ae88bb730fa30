"""Benchmark inputs: N valid messages per stage input, made by the stages' own logic from a recording.

Every input takes the full path (a quote normalize accepts and decide turns into a command), so each
stage produces one record per record consumed: the conservative case, and counts are exact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from doran.contracts import CMD_EXECUTE_TRADE, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.pipeline import default_policy
from doran.relay import ReceivedFrame, read_recording
from doran.stages.decide import demand_handler
from doran.stages.handling import Consumed
from doran.stages.ingest import ingest_frame
from doran.stages.normalize import handle_raw_quote
from doran.stages.outbound import Outbound

__all__ = ["FEED", "StageInputs", "build_inputs", "full_path_frames", "varied_frame"]

FEED = "bench:relay-quotes"
_IDS = uuid.UUID("6d1b2c4e-0b8a-4c55-9a34-3f1f8f0d6b21")  # namespace of the bench's quote ids
_DECIDE = demand_handler(default_policy())


@dataclass(frozen=True, slots=True)
class StageInputs:
    """N relay frames and, for each, the record each stage consumes (raw quote, demand, command)."""

    frames: tuple[bytes, ...]
    quote_ids: tuple[str, ...]
    raw: tuple[Outbound, ...]
    demands: tuple[Outbound, ...]
    commands: tuple[Outbound, ...]


def _follow(frame: bytes, now: datetime) -> tuple[Outbound, Outbound, Outbound] | None:
    """The raw quote, demand and command one frame becomes, or None when it stops on the way."""
    outcome = ingest_frame(ReceivedFrame(frame, now), feed=FEED, now=now)
    if outcome.kind != "quote" or outcome.record is None:
        return None
    raw = outcome.record
    normalized = handle_raw_quote(Consumed(RAW_NEAR_INTENTS_QUOTE, 0, 0, raw.key.encode(), raw.value), now)
    if len(normalized.records) != 1 or normalized.records[0].topic != NORM_SWAP_DEMAND:
        return None
    demand = normalized.records[0]
    decided = _DECIDE(Consumed(NORM_SWAP_DEMAND, 0, 0, demand.key.encode(), demand.value), now)
    if len(decided.records) != 1 or decided.records[0].topic != CMD_EXECUTE_TRADE:
        return None
    return raw, demand, decided.records[0]


def full_path_frames(recording: Path) -> list[bytes]:
    """The recording's quote frames that go all the way to a trade command under the demo policy."""
    now = datetime.now(UTC)
    found = [frame for frame in read_recording(recording) if _follow(frame, now) is not None]
    if not found:
        raise ValueError(f"{recording} has no quote that the demo policy turns into a command")
    return found


def varied_frame(frame: bytes, index: int) -> tuple[bytes, str]:
    """The frame with a fresh deterministic quote_id (uuid5 of the index), and that id."""
    message: dict[str, Any] = orjson.loads(frame)
    quote_id = str(uuid.uuid5(_IDS, f"bench-{index}"))
    message["params"]["data"]["quote_id"] = quote_id
    return orjson.dumps(message), quote_id


def build_inputs(recording: Path, n: int) -> StageInputs:
    """N frames cycling over the recording's full-path quotes, each with its own quote_id."""
    base = full_path_frames(recording)
    now = datetime.now(UTC)
    frames, ids, raw, demands, commands = [], [], [], [], []
    for index in range(n):
        frame, quote_id = varied_frame(base[index % len(base)], index)
        followed = _follow(frame, now)
        assert followed is not None  # only the quote_id changed, and the policy does not look at it
        frames.append(frame)
        ids.append(quote_id)
        raw.append(followed[0])
        demands.append(followed[1])
        commands.append(followed[2])
    return StageInputs(tuple(frames), tuple(ids), tuple(raw), tuple(demands), tuple(commands))
