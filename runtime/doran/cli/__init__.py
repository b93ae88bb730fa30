"""The `doran` command: contract toolchain, schema publication, pipeline stages, operator tools.

Commands of installed extensions join it through the entry-point group `doran.commands`: the
development kit (`devkit/`, not in the image) contributes `doran demo`, `broker`, `record` and `play`.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from doran.cli.contracts import contracts
from doran.cli.dlq import dlq
from doran.cli.failure import OneLineErrors
from doran.cli.schemas import schemas
from doran.cli.settings import settings
from doran.cli.stage import stage

__all__ = ["main"]

EXTENSION_GROUP = "doran.commands"


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="doran", prog_name="doran")
def main() -> None:
    """doran: a contract-first event pipeline for trading on NEAR Intents.

    Configuration comes from DORAN_* environment variables (`doran settings` lists them).
    """


for command in (contracts, schemas, stage, settings, dlq):
    main.add_command(command)
for extension in entry_points(group=EXTENSION_GROUP):
    main.add_command(extension.load(), extension.name)
