"""`doran stage NAME`: run one pipeline stage against DORAN_BROKER_ADDRESS until SIGTERM."""

from __future__ import annotations

import click

from doran.settings import Settings

__all__ = ["stage"]


@click.command()
@click.argument("name", type=click.Choice(["ingest", "normalize", "decide", "execute"]))
def stage(name: str) -> None:
    """Run one pipeline stage (ingest | normalize | decide | execute) until SIGTERM."""
    from doran.stages.launch import run_stage

    run_stage(name, Settings())  # type: ignore[arg-type]
