"""`doran stage NAME`: run one pipeline stage against DORAN_BROKER_ADDRESS until SIGTERM."""

from __future__ import annotations

import click

from doran.cli.failure import exit_with
from doran.errors import DoranError
from doran.settings import Settings

__all__ = ["stage"]


@click.command()
@click.argument("name", type=click.Choice(["ingest", "normalize", "decide", "execute"]))
def stage(name: str) -> None:
    """Run one pipeline stage (ingest | normalize | decide | execute) until SIGTERM."""
    from doran.stages.launch import run_stage

    try:
        run_stage(name, Settings())  # type: ignore[arg-type]
    except DoranError as exc:
        exit_with(exc)
