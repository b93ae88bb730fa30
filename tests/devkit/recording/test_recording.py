"""Recordings with receive times: `doran record` writes what `read_recording`/`RecordingFeed` read, both
line formats mix, a torn last line costs only itself, and a timed play keeps the recorded gaps."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from doran.cli import main
from doran.devkit.recording import (
    PlaySchedule,
    RecordingFeed,
    RecordingFormatError,
    RecordingWriter,
    play_offsets,
    read_recording,
    record_feed,
    recorded_frames,
    recording_schedule,
    timed_line,
)
from doran.devkit.relay_simulator import RelaySimulator, SimulatorThread
from doran.devkit.relay_simulator.messages import event_frame, result_frame
from doran.relay import ReceivedFrame

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "relay-quotes.jsonl"
T0 = datetime(2026, 3, 28, 20, 0, 0, 123456, tzinfo=UTC)
TOKEN = "record-test-jwt-s3cr3t"
DEADLINE_S = 30.0

# Frames a relay could send: a JSON-RPC event, text that needs escaping, non-ASCII, a lone surrogate
# (valid in a Python str), and a binary frame.
FRAMES: list[str | bytes] = [
    '{"jsonrpc":"2.0","method":"event","params":{"subscription":"s-1","data":{"quote_id":"q-1"}}}',
    'tab\there, quote " backslash \\ and a\nnewline',
    "ünïcödé ✓ 🚀",
    "lone \ud800 surrogate",
    b"\x00\xffbinary\n\x80",
]


def _received(frames: list[str | bytes], step_s: float = 0.5) -> list[ReceivedFrame]:
    return [ReceivedFrame(frame, T0 + timedelta(seconds=n * step_s)) for n, frame in enumerate(frames)]


def _write(path: Path, frames: list[ReceivedFrame]) -> None:
    with RecordingWriter(path) as writer:
        for frame in frames:
            writer.write(frame)


class _ListFeed:
    """A feed of fixed frames that ends after them."""

    name = "list"

    def __init__(self, frames: list[ReceivedFrame]) -> None:
        self._frames = frames

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        for frame in self._frames:
            yield frame


class _SilentFeed:
    """A feed that never delivers anything and never polls should_stop (a relay in a long backoff)."""

    name = "silent"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        await asyncio.Event().wait()
        yield ReceivedFrame("never", None)


# -- the format --------------------------------------------------------------------------------------


def test_what_the_recorder_writes_reads_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "timed.jsonl"
    written = _received(FRAMES)
    _write(path, written)

    assert recorded_frames(path) == written
    assert read_recording(path) == [
        f.encode("utf-8", "surrogatepass") if isinstance(f, str) else f for f in FRAMES
    ]
    lines = path.read_bytes().split(b"\n")
    assert len(lines) == len(FRAMES) + 1 and lines[-1] == b""
    first = json.loads(lines[0])
    assert first == {"received_at": "2026-03-28T20:00:00.123456Z", "frame": FRAMES[0]}
    assert set(json.loads(lines[-2])) == {"received_at", "frame_b64"}


def test_timed_line_is_one_json_line_in_utc_with_microseconds() -> None:
    new_york = datetime(2026, 3, 28, 16, 0, tzinfo=timezone(timedelta(hours=-4)))
    line = timed_line("x\ny", new_york)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"received_at": "2026-03-28T20:00:00.000000Z", "frame": "x\ny"}
    with pytest.raises(ValueError, match="naive"):
        timed_line("x", datetime(2026, 3, 28))


def test_raw_and_timed_lines_mix_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    raw = b'{"jsonrpc":"2.0","id":1,"result":"sub-1"}'
    not_json = b"<html>502 Bad Gateway"
    # Valid JSON with received_at but not exactly the timed keys: a (malformed) frame, not a timed line.
    lookalike = b'{"received_at":"2026-03-28T20:00:00Z","frame":"x","jsonrpc":"2.0"}'
    path.write_bytes(
        raw
        + b"\n\n"
        + timed_line("timed text", T0)
        + not_json
        + b"\n"
        + timed_line(b"\x01\x02", T0 + timedelta(seconds=2))
        + lookalike
        + b"\n"
    )

    assert recorded_frames(path) == [
        ReceivedFrame(raw, None),
        ReceivedFrame("timed text", T0),
        ReceivedFrame(not_json, None),
        ReceivedFrame(b"\x01\x02", T0 + timedelta(seconds=2)),
        ReceivedFrame(lookalike, None),
    ]
    assert read_recording(path) == [raw, b"timed text", not_json, b"\x01\x02", lookalike]
    assert recording_schedule(path) == [
        (None, raw),
        (0.0, b"timed text"),
        (None, not_json),
        (2.0, b"\x01\x02"),
        (None, lookalike),
    ]


def test_the_committed_raw_recording_reads_as_before(tmp_path: Path) -> None:
    lines = [line for line in SAMPLE.read_bytes().split(b"\n") if line.strip()]
    assert read_recording(SAMPLE) == lines
    assert recorded_frames(SAMPLE) == [ReceivedFrame(line, None) for line in lines]

    async def played() -> list[ReceivedFrame]:
        return [frame async for frame in RecordingFeed(SAMPLE).frames(lambda: False)]

    assert asyncio.run(played()) == [ReceivedFrame(line, None) for line in lines]


@pytest.mark.parametrize(
    "torn",
    [
        b'{"received_at": "2026-03-28T20:00:01.000000Z", "frame": "{\\"jsonrpc\\":\\"2.0\\",\\"meth',
        b'{"received_at": "2026-03-',
        b'{"rece',
    ],
)
def test_a_torn_last_line_is_skipped_and_the_next_run_appends_after_it(tmp_path: Path, torn: bytes) -> None:
    path = tmp_path / "killed.jsonl"
    before = _received(["a", "b", "c"])
    _write(path, before)
    with path.open("ab") as file:  # what a recorder killed mid-write leaves
        file.write(torn)

    assert recorded_frames(path) == before

    after = [ReceivedFrame("d", T0 + timedelta(seconds=9))]
    _write(path, after)  # a new run ends the torn line first, so "d" gets a line of its own
    assert recorded_frames(path) == before + after
    assert path.read_bytes().endswith(b"\n" + torn + b"\n" + timed_line("d", T0 + timedelta(seconds=9)))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"received_at": "yesterday", "frame": "x"}, "received_at must be an RFC 3339 timestamp"),
        ({"received_at": "2026-03-28T20:00:00", "frame": "x"}, "received_at must be an RFC 3339 timestamp"),
        ({"received_at": 1774728000, "frame": "x"}, "received_at must be an RFC 3339 timestamp"),
        ({"received_at": "2026-03-28T20:00:00Z", "frame": {"jsonrpc": "2.0"}}, "frame must be a JSON string"),
        ({"received_at": "2026-03-28T20:00:00Z", "frame_b64": "not base64!"}, "frame_b64 must be"),
    ],
)
def test_a_malformed_timed_line_names_the_file_and_line(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(timed_line("ok", T0) + b"\n" + json.dumps(entry).encode() + b"\n" + timed_line("ok", T0))
    with pytest.raises(RecordingFormatError, match=message) as raised:
        recorded_frames(path)
    assert str(raised.value).startswith(f"{path}:3: ")


def test_recorded_frames_reads_lines_as_well_as_files() -> None:
    lines = [timed_line("a", T0).decode(), '{"jsonrpc":"2.0","id":1,"result":"s"}', timed_line("b", T0)]
    assert recorded_frames(lines) == [
        ReceivedFrame("a", T0),
        ReceivedFrame(b'{"jsonrpc":"2.0","id":1,"result":"s"}', None),
        ReceivedFrame("b", T0),
    ]
    with pytest.raises(RecordingFormatError, match=r"^capture:1: "):
        recorded_frames(['{"received_at": "never", "frame": "x"}'], name="capture")


# -- pacing ------------------------------------------------------------------------------------------


def test_play_offsets_are_the_recorded_gaps_from_the_first_timed_frame() -> None:
    times = [
        None,
        T0,
        T0 + timedelta(milliseconds=250),
        None,
        T0 + timedelta(seconds=2),
        T0 + timedelta(seconds=1),  # the recorder's clock stepped back: no negative gap
        T0 + timedelta(seconds=1, milliseconds=500),
    ]
    assert play_offsets(times) == [None, 0.0, 0.25, None, 2.0, 2.0, 2.5]
    assert play_offsets([]) == []


def test_play_schedule_scales_by_speed_and_never_waits_for_a_late_frame() -> None:
    schedule = PlaySchedule(start=100.0, speed=4.0)
    assert schedule.due(2.0) == 100.5
    assert schedule.wait_s(2.0, now=100.2) == pytest.approx(0.3)
    assert schedule.wait_s(2.0, now=101.0) == 0.0
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="speed"):
            PlaySchedule(0.0, bad)
    with pytest.raises(ValueError, match="speed"):
        RecordingFeed(Path("x.jsonl"), pace=True, speed=0.0)


class _FakeTime:
    """A monotonic clock that only moves when the feed sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _timed_file(path: Path, offsets_s: list[float | None]) -> list[str]:
    texts = [f"frame-{n}" for n in range(len(offsets_s))]
    path.write_bytes(
        b"".join(
            (text.encode() + b"\n") if offset is None else timed_line(text, T0 + timedelta(seconds=offset))
            for text, offset in zip(texts, offsets_s, strict=True)
        )
    )
    return texts


def test_a_paced_feed_keeps_the_recorded_gaps_at_the_given_speed(tmp_path: Path) -> None:
    path = tmp_path / "timed.jsonl"
    texts = _timed_file(path, [0.0, 1.0, None, 3.0, 2.5])
    time = _FakeTime()
    feed = RecordingFeed(path, pace=True, speed=2.0, clock=time.clock, sleep=time.sleep)

    async def play() -> list[tuple[str | bytes, float]]:
        return [(frame.text, time.now - 1000.0) async for frame in feed.frames(lambda: False)]

    played = asyncio.run(play())

    # At speed 2: offsets 0, 1, (raw: no wait), 3, 2.5 -> 3 (no negative gap) become 0, 0.5, 0.5, 1.5, 1.5.
    assert played == [(texts[0], 0.0), (texts[1], 0.5), (b"frame-2", 0.5), (texts[3], 1.5), (texts[4], 1.5)]
    assert max(time.sleeps) <= 0.25  # sleeps in slices, so a stop request is noticed during a long gap


def test_a_fast_feed_never_sleeps_and_keeps_the_receive_times(tmp_path: Path) -> None:
    path = tmp_path / "timed.jsonl"
    _timed_file(path, [0.0, 60.0, 3600.0])
    time = _FakeTime()
    feed = RecordingFeed(path, clock=time.clock, sleep=time.sleep)

    async def play() -> list[ReceivedFrame]:
        return [frame async for frame in feed.frames(lambda: False)]

    frames = asyncio.run(play())
    assert time.sleeps == []
    assert [f.observed_at for f in frames] == [T0, T0 + timedelta(seconds=60), T0 + timedelta(hours=1)]


def test_a_stop_request_ends_a_paced_feed_during_a_long_gap(tmp_path: Path) -> None:
    path = tmp_path / "timed.jsonl"
    _timed_file(path, [0.0, 3600.0])
    time = _FakeTime()
    feed = RecordingFeed(path, pace=True, clock=time.clock, sleep=time.sleep)
    stop = threading.Event()

    async def play() -> list[ReceivedFrame]:
        played = []
        async for frame in feed.frames(stop.is_set):
            played.append(frame)
            stop.set()
        return played

    assert [f.text for f in asyncio.run(play())] == ["frame-0"]
    assert sum(time.sleeps) <= 0.25


# -- the recorder ------------------------------------------------------------------------------------


def test_record_feed_stops_after_max_frames(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    frames = _received(["a", "b", "c", "d"])
    summary = asyncio.run(record_feed(_ListFeed(frames), path, max_frames=3))
    assert (summary.frames, summary.stopped_by) == (3, "max_frames")
    assert recorded_frames(path) == frames[:3]
    assert summary.line().startswith(f"recorded 3 frames to {path} in ")


def test_record_feed_stamps_frames_without_a_receive_time_and_reports_the_feed_end(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    summary = asyncio.run(record_feed(_ListFeed([ReceivedFrame("a", None)]), path, now=lambda: T0))
    assert (summary.frames, summary.stopped_by) == (1, "feed_ended")
    assert recorded_frames(path) == [ReceivedFrame("a", T0)]


def test_duration_and_a_stop_request_interrupt_a_feed_that_is_waiting(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"

    async def stopped_after(delay_s: float) -> str:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(delay_s, stop.set)
        summary = await record_feed(_SilentFeed(), path, stop=stop)
        return summary.stopped_by

    by_duration = asyncio.run(asyncio.wait_for(record_feed(_SilentFeed(), path, duration_s=0.2), DEADLINE_S))
    assert (by_duration.frames, by_duration.stopped_by) == (0, "duration")
    assert by_duration.seconds >= 0.19  # the loop may fire a timer up to its clock resolution early
    assert asyncio.run(asyncio.wait_for(stopped_after(0.1), DEADLINE_S)) == "stop_request"
    assert path.read_bytes() == b""


# -- `doran record` against the relay simulator over a real websocket ---------------------------------


def test_doran_record_writes_the_relay_frames_in_order_with_receive_times(tmp_path: Path) -> None:
    path = tmp_path / "relay.jsonl"
    quotes = [
        {
            "quote_id": f"q-{n}",
            "defuse_asset_identifier_in": "nep141:wrap.near",
            "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
            "exact_amount_in": str(10**24 * (n + 1)),
            "min_deadline_ms": 60000,
        }
        for n in range(3)
    ]
    raw = 'not JSON at all: ünïcödé "quoted" \\ ✓'
    failures: list[BaseException] = []

    with SimulatorThread(RelaySimulator(token=TOKEN)) as relay:

        def acks_recorded() -> bool:
            # Publish only once the recorder has written both subscription acks: then it hears everything.
            return path.exists() and path.read_bytes().count(b"\n") >= 2

        def publish() -> None:
            try:
                relay.wait_for(acks_recorded, DEADLINE_S)
                for quote in quotes:
                    relay.publish_quote(quote)
                relay.send_raw(raw)
            except BaseException as exc:  # reported by the test thread
                failures.append(exc)

        publisher = threading.Thread(target=publish, name="publisher", daemon=True)
        publisher.start()
        result = CliRunner().invoke(
            main,
            [
                "record",
                str(path),
                "--max-frames",
                str(2 + len(quotes) + 1),
                "--duration",
                str(DEADLINE_S * 2),
            ],
            env={"DORAN_RELAY_URL": relay.url, "DORAN_RELAY_API_KEY": TOKEN},
        )
        publisher.join(DEADLINE_S)
        subscriptions = dict(relay.connections()[0].subscriptions)

    assert not failures, failures
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout.startswith(f"recorded 6 frames to {path} in ")
    assert TOKEN not in result.output

    frames = recorded_frames(path)
    assert [frame.text for frame in frames] == [
        result_frame(1, subscriptions["quote"]),
        result_frame(2, subscriptions["quote_status"]),
        *(event_frame(subscriptions["quote"], quote) for quote in quotes),
        raw,
    ]
    received = [frame.observed_at for frame in frames if frame.observed_at is not None]
    assert len(received) == len(frames)
    assert received == sorted(received)
    assert datetime.now(UTC) - timedelta(seconds=DEADLINE_S * 2) < received[0]
