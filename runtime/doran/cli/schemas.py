"""`doran schemas ...`: publish the contracts to a schema registry, export them for consumers."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from doran.errors import DoranError

__all__ = ["schemas"]


@click.group()
def schemas() -> None:
    """Publish the topic schemas to a schema registry, or export them for downstream consumers."""


@schemas.command()
@click.option(
    "--registry",
    help="Schema registry URL (Redpanda serves the Confluent REST API); default: DORAN_REGISTRY_URL.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and check compatibility; register nothing.")
def publish(registry: str | None, dry_run: bool) -> None:
    """Register each topic's value schema under <topic>-value, with its compatibility level."""
    from doran.publish import publish as publish_schemas
    from doran.settings import Settings

    try:
        url = registry or Settings().registry_url
        if not url:
            raise click.UsageError("give --registry URL, or set DORAN_REGISTRY_URL")
        sys.exit(publish_schemas(url, dry_run=dry_run, out=sys.stdout))
    except DoranError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


@schemas.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write the bundled schemas, topics.json and an AsyncAPI 3.0 document to DIRECTORY."""
    from doran.publish import export as export_bundle

    try:
        export_bundle(directory)
    except DoranError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    click.echo(f"exported to {directory}")
