"""`doran stage NAME`: run one pipeline stage against DORAN_BROKER_ADDRESS until SIGTERM."""

from __future__ import annotations

import click

from doran.settings import Settings
from doran.stages.launch import STAGES

__all__ = ["stage"]


@click.command()
@click.argument("name", type=click.Choice(list(STAGES)))
def stage(name: str) -> None:
    """Run one pipeline stage (ingest | normalize | decide | execute | settle) until SIGTERM."""
    from doran.stages.launch import run_stage

    run_stage(name, Settings())  # type: ignore[arg-type]
