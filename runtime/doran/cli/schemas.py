"""`doran schemas ...`: publish the contracts to a schema registry, export them for consumers."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["schemas"]


@click.group()
def schemas() -> None:
    """Publish the topic schemas to a schema registry, or export them for downstream consumers."""


@schemas.command()
@click.option(
    "--registry", required=True, help="Schema registry URL (Redpanda serves the Confluent REST API)."
)
@click.option("--dry-run", is_flag=True, help="Print the plan and check compatibility; register nothing.")
def publish(registry: str, dry_run: bool) -> None:
    """Register each topic's value schema under <topic>-value, with its compatibility level."""
    from doran.publish import publish as publish_schemas

    sys.exit(publish_schemas(registry, dry_run=dry_run, out=sys.stdout))


@schemas.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write the bundled schemas, topics.json and an AsyncAPI 3.0 document to DIRECTORY."""
    from doran.publish import export as export_bundle

    export_bundle(directory)
    click.echo(f"exported to {directory}")
