"""`doran record`: append every frame a feed (the live relay) delivers to a JSONL recording, timed.

Each frame becomes one timed line (`doran.relay.timed_line`), written and flushed on its own, so a
killed recorder loses at most the line it was writing; the next run terminates that torn line before
appending, and readers skip it. Recording stops after `max_frames`, after `duration_s`, on a stop
request (SIGINT/SIGTERM from the CLI) or when the feed ends, whichever comes first; a stop interrupts a
reconnect backoff or a pending receive at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal, Self

from pydantic import SecretStr

from doran.devkit.recording.lines import timed_line
from doran.relay import FrameFeed, LiveRelayFeed, ReceivedFrame, utc_now
from doran.relay.errors import RelayError

__all__ = ["RecordingFileError", "RecordingSummary", "RecordingWriter", "record_feed", "record_relay"]

logger = logging.getLogger(__name__)

#: Why a recording ended.
StopReason = Literal["max_frames", "duration", "stop_request", "feed_ended"]
_REASONS: dict[StopReason, str] = {
    "max_frames": "frame limit reached",
    "duration": "duration reached",
    "stop_request": "stopped by signal",
    "feed_ended": "the feed ended",
}


class RecordingFileError(RelayError):
    """The recording file cannot be opened or written: check the path, its directory and free space."""


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    """What a recording run wrote: `frames` lines appended to `path` over `seconds`, and why it stopped."""

    path: Path
    frames: int
    seconds: float
    stopped_by: StopReason

    def line(self) -> str:
        """The one-line report the CLI prints."""
        return (
            f"recorded {self.frames} frame{'' if self.frames == 1 else 's'} to {self.path} "
            f"in {self.seconds:.1f} s ({_REASONS[self.stopped_by]})"
        )


class RecordingWriter:
    """Appends timed lines to `path`, one flushed write per frame; a context manager."""

    def __init__(self, path: Path, *, now: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self._now = now
        self._file: BinaryIO | None = None

    def __enter__(self) -> Self:
        try:
            self._file = self.path.open("ab")
            if self._ends_mid_line():
                # A recorder killed mid-write left a torn line: end it, so the next frame gets a line of
                # its own and only the torn one is lost (readers skip it).
                logger.warning(
                    "%s ends with a torn line; it stays on its own line and playing skips it", self.path
                )
                self._file.write(b"\n")
                self._file.flush()
        except OSError as exc:
            self._close()
            raise RecordingFileError(f"Cannot append to the recording {self.path}: {exc}") from exc
        return self

    def _ends_mid_line(self) -> bool:
        if self.path.stat().st_size == 0:
            return False
        with self.path.open("rb") as existing:
            existing.seek(-1, os.SEEK_END)
            return existing.read(1) != b"\n"

    def write(self, frame: ReceivedFrame) -> None:
        """Append `frame` as one line and flush it to the OS (it survives the process being killed).

        A frame without a receive time (a feed that does not know it) is stamped with the time of writing.
        """
        if self._file is None:
            raise RecordingFileError(f"The recording {self.path} is not open: use the writer in a with block")
        line = timed_line(frame.text, frame.observed_at or self._now())
        try:
            self._file.write(line)
            self._file.flush()
        except OSError as exc:
            raise RecordingFileError(f"Cannot write to the recording {self.path}: {exc}") from exc

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is None:
            return
        try:
            # Flushed lines already survive a killed process; fsync once at the end for a crashed machine.
            file.flush()
            os.fsync(file.fileno())
        except OSError as exc:
            logger.warning("Could not sync the recording %s to disk: %s", self.path, exc)
        finally:
            file.close()


async def _expire_when_set(stop: asyncio.Event, timer: asyncio.Timeout) -> None:
    await stop.wait()
    if not timer.expired():
        timer.reschedule(asyncio.get_running_loop().time())


async def record_feed(
    feed: FrameFeed,
    path: Path,
    *,
    max_frames: int | None = None,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    now: Callable[[], datetime] = utc_now,
) -> RecordingSummary:
    """Append every frame of `feed` to `path` until `max_frames` are written, `duration_s` has passed,
    `stop` is set or the feed ends. Raises RecordingFileError when the file cannot be written, and the
    feed's own errors (e.g. RelayRejectedError for a refused API key)."""
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    if duration_s is not None and not duration_s > 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    started = time.monotonic()
    deadline = None if duration_s is None else started + duration_s
    stop_event = stop if stop is not None else asyncio.Event()
    written = 0
    expired = False

    def should_stop() -> bool:
        # The feed polls this between receives; the timer below interrupts whatever it awaits meanwhile.
        return stop_event.is_set() or (deadline is not None and time.monotonic() >= deadline)

    with RecordingWriter(path, now=now) as writer:
        try:
            async with asyncio.timeout(duration_s) as timer:
                watcher = asyncio.create_task(_expire_when_set(stop_event, timer))
                try:
                    async with aclosing(feed.frames(should_stop)) as frames:
                        async for frame in frames:
                            writer.write(frame)
                            written += 1
                            if max_frames is not None and written >= max_frames:
                                break
                finally:
                    watcher.cancel()
                    await asyncio.wait([watcher])  # let it finish, so no task outlives the recording
        except TimeoutError:
            if not timer.expired():
                raise  # not ours: a feed's own timeout
            expired = True
    seconds = time.monotonic() - started
    stopped_by: StopReason
    if max_frames is not None and written >= max_frames:
        stopped_by = "max_frames"
    elif stop_event.is_set():
        stopped_by = "stop_request"
    elif expired or (deadline is not None and time.monotonic() >= deadline):
        stopped_by = "duration"
    else:
        stopped_by = "feed_ended"
    return RecordingSummary(path, written, seconds, stopped_by)


def record_relay(
    url: str,
    path: Path,
    *,
    api_key: SecretStr | None = None,
    max_frames: int | None = None,
    duration_s: float | None = None,
    handle_signals: bool = True,
) -> RecordingSummary:
    """Record the relay at `url` (subscribed as ingest subscribes, reconnecting as ingest does) to `path`;
    what `doran record` runs. With `handle_signals`, SIGINT and SIGTERM end the recording cleanly (only
    possible in the main thread; elsewhere they keep their default effect)."""

    async def run() -> RecordingSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        handled: list[signal.Signals] = []
        if handle_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(signum, stop.set)
                except (ValueError, RuntimeError, NotImplementedError):
                    break  # not the main thread, or a platform without loop signal handlers
                handled.append(signum)
        try:
            feed = LiveRelayFeed(url, api_key)
            return await record_feed(feed, path, max_frames=max_frames, duration_s=duration_s, stop=stop)
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    return asyncio.run(run())
