"""The development kit's `doran` commands (entry-point group `doran.commands`): `demo`, `broker`,
`record` and `play`. Each imports what it runs only when it runs, so `doran --help` stays quick; an error
a user can act on ends as one line through the `doran` group (`doran.cli.failure`)."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click

from doran.devkit.demo import DemoOptions
from doran.settings import Settings

__all__ = ["broker", "demo", "play", "record"]


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
    time, appended and flushed line by line; `doran play --timed FILE` plays it into ingest with its timing.
    Stops on Ctrl-C/SIGTERM, --duration or --max-frames, then prints a one-line summary."""
    from doran.devkit.recording import record_relay

    settings = Settings()
    summary = record_relay(
        settings.relay_url, file, api_key=settings.relay_api_key, max_frames=max_frames, duration_s=duration
    )
    click.echo(summary.line())


@click.command()
@click.argument("recording", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--timed/--fast",
    default=False,
    show_default=True,
    help="--timed keeps the recorded gaps between frames (lines written by `doran record`); "
    "--fast plays every frame at once.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="With --timed: play this many times faster than recorded.",
)
def play(recording: Path, timed: bool, speed: float) -> None:
    """Play a JSONL recording of relay frames through the ingest stage to DORAN_BROKER_ADDRESS."""
    from doran.devkit.recording import RecordingFeed
    from doran.stages.ingest import STAGE, run_ingest
    from doran.stages.launch import BrokerNotConfigured
    from doran.stages.metrics import StageMetrics

    if speed != 1.0 and not timed:
        raise click.UsageError("--speed paces a --timed play; add --timed, or drop --speed.")
    settings = Settings()
    metrics = StageMetrics(STAGE)
    if not settings.broker_address:
        raise BrokerNotConfigured("doran play needs a broker: set DORAN_BROKER_ADDRESS.")
    run_ingest(settings, settings.broker_address, RecordingFeed(recording, pace=timed, speed=speed), metrics)
    click.echo(json.dumps(metrics.snapshot()))


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # SystemExit unwinds the `with` blocks, so the broker's child process is stopped, not orphaned.
    sys.exit(128 + signum)


@click.command()
@click.option("--port", type=int, default=None, help="Port to listen on (default: a free one).")
def broker(port: int | None) -> None:
    """Run the embedded Kafka-protocol broker (tansu, memory only) with the registry's topics, and a dev
    schema registry holding their schemas, where the stages look up their schema ids."""
    from doran.broker import create_topics
    from doran.contracts import TOPICS
    from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker, settings_environment
    from doran.devkit.schema_registry import published_registry

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with EmbeddedBroker(port=port) as embedded, published_registry() as registry_url:
            create_topics(embedded.address, TOPICS.values())
            click.echo(f"DORAN_BROKER_ADDRESS={embedded.address}")
            click.echo(f"DORAN_REGISTRY_URL={registry_url}")
            for name, value in settings_environment(EMBEDDED_BROKER_SETTINGS).items():
                click.echo(f"{name}={value}")
            click.echo(
                "topics: " + ", ".join(TOPICS) + "\nCtrl-C stops it (memory storage: everything is lost)."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass


@click.command()
@click.option(
    "--recording",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=Path("samples/relay-quotes.jsonl"),
    show_default=True,
    help="Relay frames to play (the default is the checkout's sample: run from the checkout, or name one).",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".state/demo"),
    show_default=True,
    help="State, stats and logs of the demo run.",
)
@click.option(
    "--rate",
    type=float,
    default=DemoOptions.rate_per_s,
    show_default=True,
    help="Recorded frames played per second.",
)
@click.option(
    "--min-deadline-ms",
    type=click.IntRange(min=0),
    default=DemoOptions.min_deadline_ms,
    show_default=True,
    help="min_deadline_ms given to the played quotes (recorded: 60 s): unfilled ones expire within the run.",
)
def demo(recording: Path, work_dir: Path, rate: float, min_deadline_ms: int) -> None:
    """Start a broker (embedded unless DORAN_BROKER_ADDRESS), the relay simulator and the four stages;
    play a recording of quotes through the simulator; reconcile what the relay saw with the topics."""
    from doran.devkit.demo.run import run_demo

    options = DemoOptions(rate_per_s=rate, min_deadline_ms=min_deadline_ms)
    sys.exit(run_demo(recording, work_dir, Settings(), options))
