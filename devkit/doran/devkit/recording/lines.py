"""The JSONL recording of relay frames: one frame per line, raw or timed, mixed freely in one file.

- timed (what `doran record` writes): an object with exactly the keys `received_at` (RFC 3339, UTC,
  microseconds, `Z`) and `frame` (the text frame exactly as received, as a JSON string); a binary frame
  has `frame_b64` (its bytes in standard base64) instead of `frame`.
- raw (samples/relay-quotes.jsonl): any other line is the frame itself, byte for byte, with no time.

A relay frame is a JSON-RPC object and always has `jsonrpc`, so it is never taken for a timed line.
A torn line, what a recorder killed mid-write leaves, is not JSON but begins as a timed line does
(`{"received_at"`, or a start of that at least `{"r` long): it is skipped with a warning, wherever it is
(the next `doran record` run on the file ends it with a newline before appending), and every other line
stays. A line that is a timed object but whose values are not (a `received_at` that is not a
timestamp, a `frame` that is not a string) is an error naming the file and line: playing it as a raw
frame would hide the mistake.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from doran.devkit.recording.timing import play_offsets
from doran.relay import ReceivedFrame
from doran.relay.errors import RelayError

__all__ = [
    "RecordingFormatError",
    "read_recording",
    "recorded_frames",
    "recording_schedule",
    "timed_line",
]

logger = logging.getLogger(__name__)

_RECEIVED_AT = "received_at"
_TEXT_KEYS = frozenset({_RECEIVED_AT, "frame"})
_BINARY_KEYS = frozenset({_RECEIVED_AT, "frame_b64"})
# How every line `timed_line` writes begins, so a torn one too; how much of it marks a torn line.
_OPENING = b'{"received_at"'
_MIN_TORN = len(b'{"r')
_EXAMPLE = "2026-03-28T20:00:00.123456Z"


class RecordingFormatError(RelayError, ValueError):
    """A line of a recording is a timed object with an unusable value; names the file and line."""


def _utc_text(instant: datetime) -> str:
    # The envelope's format (doran.wire.utc_timestamp), written here so the relay package does not load
    # the contracts just to record.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"The receive time {instant!r} is naive; give an aware datetime such as utc_now().")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timed_line(frame: str | bytes, received_at: datetime) -> bytes:
    """The recording line of `frame` received at `received_at`, newline included (ASCII JSON, so any
    text, lone surrogates too, comes back exactly)."""
    stamp = _utc_text(received_at)
    if isinstance(frame, str):
        entry = {_RECEIVED_AT: stamp, "frame": frame}
    else:
        entry = {_RECEIVED_AT: stamp, "frame_b64": base64.b64encode(frame).decode("ascii")}
    return (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")


def _received_at(value: Any, where: str) -> datetime:
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if instant.tzinfo is not None and instant.utcoffset() is not None:
                return instant.astimezone(UTC)
    raise RecordingFormatError(
        f"{where}: received_at must be an RFC 3339 timestamp with a UTC offset, such as {_EXAMPLE}; "
        f"got {str(value)[:80]!r}. Fix or delete the line."
    )


def _timed_frame(entry: dict[str, Any], where: str) -> ReceivedFrame:
    received_at = _received_at(entry[_RECEIVED_AT], where)
    if "frame" in entry:
        text = entry["frame"]
        if not isinstance(text, str):
            raise RecordingFormatError(
                f"{where}: frame must be a JSON string, the text frame as received (a binary frame is "
                f"recorded as frame_b64); got a JSON {type(text).__name__}. Fix or delete the line."
            )
        return ReceivedFrame(text, received_at)
    encoded = entry["frame_b64"]
    try:
        if not isinstance(encoded, str):
            raise TypeError(type(encoded).__name__)
        data = base64.b64decode(encoded, validate=True)
    except (TypeError, binascii.Error) as exc:
        raise RecordingFormatError(
            f"{where}: frame_b64 must be a JSON string of standard base64 (the binary frame's bytes): "
            f"{exc}. Fix or delete the line."
        ) from exc
    return ReceivedFrame(data, received_at)


def _is_torn(line: bytes) -> bool:
    """Whether a line that is not JSON is what a recorder stopped mid-write leaves: it agrees with how
    every timed line begins for as long as both go (`{"r` at least, so `{` alone stays a raw frame)."""
    start = line.strip()
    common = min(len(start), len(_OPENING))
    return common >= _MIN_TORN and start[:common] == _OPENING[:common]


def _line_frame(line: bytes, where: str) -> ReceivedFrame | None:
    """The frame on a non-blank line; None when the line is torn."""
    if b'"received_at"' not in line:  # every frame of a raw recording: no need to parse it
        return None if _is_torn(line) else ReceivedFrame(line, None)
    try:
        entry = json.loads(line)
    except ValueError:  # not JSON, or not UTF-8
        return None if _is_torn(line) else ReceivedFrame(line, None)
    if isinstance(entry, dict) and entry.keys() in (_TEXT_KEYS, _BINARY_KEYS):
        return _timed_frame(entry, where)
    return ReceivedFrame(line, None)


def recorded_frames(source: Path | Iterable[str | bytes], *, name: str | None = None) -> list[ReceivedFrame]:
    """The frames of a recording (a file or its lines), in order: a timed line's frame with its receive
    time, a raw line's bytes exactly as recorded with none; blank and torn lines skipped.

    Raises RecordingFormatError for a timed line with an unusable value (`name` names the source in the
    message; the file's path by default).
    """
    if isinstance(source, Path):
        lines = source.read_bytes().split(b"\n")
        label = str(source) if name is None else name
    else:
        lines = [line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line for line in source]
        label = "<recording>" if name is None else name
    frames: list[ReceivedFrame] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        frame = _line_frame(line, f"{label}:{number}")
        if frame is None:
            logger.warning("%s:%d: skipping a torn line (a recorder stopped mid-write)", label, number)
        else:
            frames.append(frame)
    return frames


def _frame_bytes(text: str | bytes) -> bytes:
    # A text frame travels as UTF-8; surrogatepass as ingest does, so no text can fail to encode.
    return text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text


def read_recording(path: Path) -> list[bytes]:
    """The frames of a recording file, as bytes, in order: a raw line exactly as recorded, a timed line's
    frame as it travelled (text as UTF-8); blank and torn lines skipped, receive times dropped."""
    return [_frame_bytes(frame.text) for frame in recorded_frames(path)]


def recording_schedule(source: Path | Iterable[str | bytes]) -> list[tuple[float | None, bytes]]:
    """Each frame of a recording (a file or its lines) with when to play it: seconds after the first
    timed frame, as recorded (gaps that run backwards count as zero), or None for a raw line, which has
    no time; the frame as bytes, as `read_recording` gives it. Scale the offsets to play faster."""
    frames = recorded_frames(source)
    offsets = play_offsets([frame.observed_at for frame in frames])
    return [(offset, _frame_bytes(frame.text)) for offset, frame in zip(offsets, frames, strict=True)]
