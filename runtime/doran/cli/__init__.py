"""The `doran` command: contract toolchain, schema publication, pipeline stages, demo, operator tools."""

from __future__ import annotations

import click

from doran.cli.contracts import contracts
from doran.cli.dlq import dlq
from doran.cli.pipeline import broker, demo, replay, stage
from doran.cli.record import record
from doran.cli.schemas import schemas
from doran.cli.settings import settings

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """doran: a contract-first event pipeline for trading on NEAR Intents.

    Configuration comes from DORAN_* environment variables (see `doran.settings.Settings`).
    """


for command in (contracts, schemas, stage, replay, record, demo, broker, settings, dlq):
    main.add_command(command)
