"""`doran dlq ...`: repair from the dead-letter topic (dlq.doran)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from doran.contracts import DeadLetterReason, DeadLetterStage
from doran.settings import Settings

__all__ = ["dlq"]


@click.group()
def dlq() -> None:
    """Work with the dead-letter topic, dlq.doran."""


@dlq.command()
@click.option(
    "--stage",
    "stages",
    multiple=True,
    type=click.Choice([stage.value for stage in DeadLetterStage]),
    help="Replay only dead letters of this stage (repeatable; default: every stage).",
)
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    type=click.Choice([reason.value for reason in DeadLetterReason]),
    help="Replay only dead letters with this reason (repeatable; default: every reason).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option("--each", is_flag=True, help="Also list every selected dead letter, not only the groups.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=120.0,
    show_default=True,
    help="Seconds to read each topic to its end, and to get the replayed records acknowledged.",
)
def replay(
    stages: tuple[str, ...], reasons: tuple[str, ...], dry_run: bool, each: bool, timeout_s: float
) -> None:
    """Re-feed dead letters to where they came from, after a fix.

    Reads dlq.doran (at DORAN_BROKER_ADDRESS) from the beginning. A normalize, decide or execute
    dead letter's original key and bytes go back to the topic partition it was read from; an ingest
    dead letter's frame goes through the ingest code again, and what it yields now is produced.
    Every replayed record carries the header doran_replay_of=<dead letter id>, so running the
    replay again writes nothing new. Truncated originals cannot be replayed and are only reported.
    Exit code 0 when done (or nothing to do), 2 when the broker or the options are unusable.
    """
    from doran.dlq import Selection, execute_replay, prepare_replay, render_counts, render_plan

    selection = Selection(
        frozenset(DeadLetterStage(stage) for stage in stages),
        frozenset(DeadLetterReason(reason) for reason in reasons),
    )
    prepared = prepare_replay(Settings(), selection, timeout_s=timeout_s, now=datetime.now(UTC))
    for line in render_plan(
        prepared.plan, broker=prepared.broker, unreadable=prepared.unreadable, selection=selection, each=each
    ):
        click.echo(line)
    written = None if dry_run else execute_replay(prepared, timeout_s=timeout_s)
    click.echo(render_counts(prepared.plan, written=written))
