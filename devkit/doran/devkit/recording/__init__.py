"""Recordings of relay frames: the JSONL format, `doran record` (the live relay to a file) and the feed
`doran play` feeds to ingest.

- `lines`: the recording format (raw or timed lines), read and written
- `recorder`: append what a feed delivers, timed and flushed line by line
- `timing`: when to play each frame of a timed recording
- `feed`: a recording as a `doran.relay.FrameFeed`
"""

from doran.devkit.recording.feed import RecordingFeed
from doran.devkit.recording.lines import (
    RecordingFormatError,
    read_recording,
    recorded_frames,
    recording_schedule,
    timed_line,
)
from doran.devkit.recording.recorder import (
    RecordingFileError,
    RecordingSummary,
    RecordingWriter,
    record_feed,
    record_relay,
)
from doran.devkit.recording.timing import PlaySchedule, play_offsets

__all__ = [
    "PlaySchedule",
    "RecordingFeed",
    "RecordingFileError",
    "RecordingFormatError",
    "RecordingSummary",
    "RecordingWriter",
    "play_offsets",
    "read_recording",
    "record_feed",
    "record_relay",
    "recorded_frames",
    "recording_schedule",
    "timed_line",
]
