"""`doran stage|replay|broker|demo`: run the pipeline, against Redpanda or an embedded broker."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from doran.demo import DemoOptions
from doran.errors import DoranError
from doran.settings import Settings
from doran.stages.launch import STAGES

__all__ = ["broker", "demo", "replay", "stage"]


def _fail(exc: DoranError) -> None:
    click.secho(f"error: {exc}", fg="red", err=True)
    sys.exit(2)


@click.command()
@click.argument("name", type=click.Choice(list(STAGES)))
def stage(name: str) -> None:
    """Run one pipeline stage (ingest | normalize | decide | execute | settle) until SIGTERM."""
    from doran.stages.launch import run_stage

    try:
        run_stage(name, Settings())  # type: ignore[arg-type]
    except DoranError as exc:
        _fail(exc)


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
def replay(recording: Path, timed: bool, speed: float) -> None:
    """Feed a JSONL recording of relay frames through the ingest stage to DORAN_BROKER_ADDRESS."""
    from doran.relay import RecordingFeed
    from doran.stages.ingest import STAGE, run_ingest
    from doran.stages.launch import BrokerNotConfigured
    from doran.stages.metrics import StageMetrics

    if speed != 1.0 and not timed:
        raise click.UsageError("--speed paces a --timed replay; add --timed, or drop --speed.")
    settings = Settings()
    metrics = StageMetrics(STAGE)
    try:
        if not settings.broker_address:
            raise BrokerNotConfigured("doran replay needs a broker: set DORAN_BROKER_ADDRESS.")
        feed = RecordingFeed(recording, pace=timed, speed=speed)
        run_ingest(settings, settings.broker_address, feed, metrics)
    except DoranError as exc:
        _fail(exc)
        return
    click.echo(json.dumps(metrics.snapshot()))


@click.command()
@click.option("--port", type=int, default=None, help="Port to listen on (default: a free one).")
def broker(port: int | None) -> None:
    """Run the embedded Kafka-protocol broker (tansu, memory only) with the registry's topics."""
    from doran.broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker, create_topics, settings_environment
    from doran.contracts import TOPICS

    try:
        with EmbeddedBroker(port=port) as embedded:
            create_topics(embedded.address, TOPICS.values())
            click.echo(f"DORAN_BROKER_ADDRESS={embedded.address}")
            for name, value in settings_environment(EMBEDDED_BROKER_SETTINGS).items():
                click.echo(f"{name}={value}")
            click.echo(
                "topics: " + ", ".join(TOPICS) + "\nCtrl-C stops it (memory storage: everything is lost)."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    except DoranError as exc:
        _fail(exc)


@click.command()
@click.option(
    "--recording",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("samples/relay-quotes.jsonl"),
    show_default=True,
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
    from doran.demo.run import run_demo

    options = DemoOptions(rate_per_s=rate, min_deadline_ms=min_deadline_ms)
    try:
        sys.exit(run_demo(recording, work_dir, Settings(), options))
    except DoranError as exc:
        _fail(exc)
