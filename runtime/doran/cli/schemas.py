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
    "--registry",
    help="Schema registry URL (Redpanda serves the Confluent REST API); default: DORAN_REGISTRY_URL.",
)
@click.option(
    "--snapshot",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Plan offline against an export snapshot (`doran schemas export DIR` of what is registered) "
    "instead of a registry; implies --dry-run.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and check compatibility; register nothing.")
def publish(registry: str | None, snapshot: Path | None, dry_run: bool) -> None:
    """Register each topic's value schema under <topic>-value, with its compatibility level.

    With --snapshot, show the plan against an export snapshot without a registry: doran's gate judges
    each change against the snapshot's version (the registry's own check cannot run offline).
    """
    from doran.publish import publish as publish_schemas
    from doran.publish.publication import plan_against_snapshot
    from doran.settings import Settings

    if snapshot is not None:
        if registry is not None:
            raise click.UsageError("give --registry URL or --snapshot DIR, not both")
        sys.exit(plan_against_snapshot(snapshot))
    url = registry or Settings().registry_url
    if not url:
        raise click.UsageError(
            "give --registry URL, or --snapshot DIR for an offline plan "
            "(DORAN_REGISTRY_URL stands for --registry)"
        )
    sys.exit(publish_schemas(url, dry_run=dry_run, out=sys.stdout))


@schemas.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write the bundled schemas, topics.json and an AsyncAPI 3.0 document to DIRECTORY."""
    from doran.publish import export as export_bundle

    export_bundle(directory)
    click.echo(f"exported to {directory}")
