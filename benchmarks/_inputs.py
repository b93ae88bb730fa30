"""Benchmark inputs, made by the stages' own logic from a recording: N valid messages per stage input
(the throughput runs) and N quote events for the relay simulator to send (the latency runs).

Every input takes the full path (a quote normalize accepts and decide turns into a command), so each
stage produces one record per record consumed: the conservative case (no cheap declines), counts are
exact, and every quote of a latency run is one the executor answers.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from doran.contracts import CMD_EXECUTE_TRADE, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE, TOPICS
from doran.devkit.recording import read_recording
from doran.devkit.relay_simulator import quotes_from_recording
from doran.pipeline import default_policy
from doran.relay import ReceivedFrame
from doran.settings import Settings
from doran.stages.decide import demand_handler
from doran.stages.handling import Consumed
from doran.stages.ingest import FrameIngest
from doran.stages.normalize import raw_quote_handler
from doran.wire import Framing, KafkaRecord

__all__ = [
    "FEED",
    "StageInputs",
    "build_inputs",
    "full_path_frames",
    "offline_framing",
    "policy_census",
    "relay_quotes",
    "varied_frame",
]

FEED = "bench:relay-quotes"
_IDS = uuid.UUID("6d1b2c4e-0b8a-4c55-9a34-3f1f8f0d6b21")  # namespace of the bench's quote ids


@dataclass(frozen=True, slots=True)
class StageInputs:
    """N relay frames and, for each, the record each stage consumes (raw quote, demand, command)."""

    frames: tuple[bytes, ...]
    quote_ids: tuple[str, ...]
    raw: tuple[KafkaRecord, ...]
    demands: tuple[KafkaRecord, ...]
    commands: tuple[KafkaRecord, ...]


class _Path:
    """The stages' own cores, configured from Settings as the stages configure them."""

    def __init__(self) -> None:
        settings = Settings()
        limit = settings.max_message_bytes
        self.ingest = FrameIngest(
            FEED, max_frame_bytes=settings.relay_max_frame_bytes, max_record_bytes=limit
        )
        framing = offline_framing()
        self.normalize = raw_quote_handler(limit, settings.relay_auction_window_ms, framing=framing)
        self.decide = demand_handler(default_policy(), limit, framing=framing)

    def follow(self, frame: bytes, now: datetime) -> tuple[KafkaRecord, KafkaRecord, KafkaRecord] | None:
        """The raw quote, demand and command one frame becomes, or None when it stops on the way."""
        return self.trace(frame, now)[1]

    def trace(
        self, frame: bytes, now: datetime
    ) -> tuple[str, tuple[KafkaRecord, KafkaRecord, KafkaRecord] | None]:
        """Where the frame stops ("command" when it goes all the way, else the stage and why), and the
        records it became on the full path."""
        ingested = self.ingest(ReceivedFrame(frame, now), now)
        if len(ingested.records) != 1 or ingested.records[0].topic != RAW_NEAR_INTENTS_QUOTE.name:
            return f"ingest: {ingested.dead_letter or ingested.protocol or 'no quote'}", None
        raw = ingested.records[0]
        normalized = self.normalize(_consumed(raw), now)
        if len(normalized.records) != 1 or normalized.records[0].topic != NORM_SWAP_DEMAND.name:
            return f"normalize: {normalized.dead_letter or 'no demand'}", None
        demand = normalized.records[0]
        decided = self.decide(_consumed(demand), now)
        if len(decided.records) != 1 or decided.records[0].topic != CMD_EXECUTE_TRADE.name:
            return f"decide: {decided.declined or decided.dead_letter or 'no command'}", None
        return "command", (raw, demand, decided.records[0])


def offline_framing() -> Framing:
    """The framing of a stage whose registry gave each topic the id of its place in topics.json."""
    return Framing.known({name: index for index, name in enumerate(TOPICS, start=1)})


def _consumed(record: KafkaRecord) -> Consumed:
    return Consumed(record.topic, 0, 0, record.key.encode(), record.value)


def full_path_frames(recording: Path) -> list[bytes]:
    """The recording's quote frames that go all the way to a trade command under the demo policy."""
    now, path = datetime.now(UTC), _Path()
    found = [frame for frame in read_recording(recording) if path.follow(frame, now) is not None]
    if not found:
        raise ValueError(f"{recording} has no quote that the demo policy turns into a command")
    return found


def policy_census(recording: Path) -> dict[str, int]:
    """Where each quote event of the recording stops under the default policy ("command" when the
    executor gets it), most frequent first: which quotes decide declines, and why."""
    now, path = datetime.now(UTC), _Path()
    frames = [frame for frame in read_recording(recording) if quotes_from_recording([frame])]
    return dict(Counter(path.trace(frame, now)[0] for frame in frames).most_common())


def relay_quotes(recording: Path, n: int) -> list[dict[str, Any]]:
    """N quote requests (`params.data`) for the relay simulator to send: the recording's quotes that
    become commands, cycled, each with its own deterministic quote_id (uuid5 of its index), so every
    quote opens its own auction and is one the executor answers."""
    base = full_path_frames(recording)
    ids = (str(uuid.uuid5(_IDS, f"relay-{index}")) for index in range(n))
    cycled = (base[index % len(base)] for index in range(n))
    return quotes_from_recording(cycled, fresh_ids=True, new_id=lambda: next(ids))


#: The auction of a throughput input stays open this long (max_wait_ms): a backlog run outlasts the
#: relay's 1-3 s, and the executor never answers a command after its window.
THROUGHPUT_AUCTION_MS = 3_600_000


def varied_frame(frame: bytes, index: int) -> tuple[bytes, str]:
    """The frame with a fresh deterministic quote_id (uuid5 of the index) and its auction open for
    THROUGHPUT_AUCTION_MS, and that id.

    A new quote_id also gives the raw quote a new event_id (a hash of the venue message)."""
    message: dict[str, Any] = orjson.loads(frame)
    quote_id = str(uuid.uuid5(_IDS, f"bench-{index}"))
    message["params"]["data"]["quote_id"] = quote_id
    message["params"]["data"]["max_wait_ms"] = THROUGHPUT_AUCTION_MS
    return orjson.dumps(message), quote_id


def build_inputs(recording: Path, n: int) -> StageInputs:
    """N frames cycling over the recording's full-path quotes, each with its own quote_id."""
    base = full_path_frames(recording)
    now, path = datetime.now(UTC), _Path()
    frames, ids, raw, demands, commands = [], [], [], [], []
    for index in range(n):
        frame, quote_id = varied_frame(base[index % len(base)], index)
        followed = path.follow(frame, now)
        assert followed is not None  # only the quote_id changed, and the policy does not look at it
        frames.append(frame)
        ids.append(quote_id)
        raw.append(followed[0])
        demands.append(followed[1])
        commands.append(followed[2])
    return StageInputs(tuple(frames), tuple(ids), tuple(raw), tuple(demands), tuple(commands))
