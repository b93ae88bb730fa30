"""`doran record FILE`: append the live relay's frames to a JSONL recording, with their receive times."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from doran.errors import DoranError
from doran.settings import Settings

__all__ = ["record"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop after this many seconds (default: until SIGINT/SIGTERM).",
)
@click.option(
    "--max-frames",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after writing this many frames (subscription acks included).",
)
def record(file: Path, duration: float | None, max_frames: int | None) -> None:
    """Record DORAN_RELAY_URL (Bearer DORAN_RELAY_API_KEY) to FILE, one frame per line with its receive
    time, appended and flushed line by line; `doran replay --timed FILE` plays it back with its timing.
    Stops on Ctrl-C/SIGTERM, --duration or --max-frames, then prints a one-line summary."""
    from doran.relay import record_relay

    settings = Settings()
    try:
        summary = record_relay(
            settings.relay_url,
            file,
            api_key=settings.relay_api_key,
            max_frames=max_frames,
            duration_s=duration,
        )
    except DoranError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    click.echo(summary.line())
