"""`doran executor ...`: operator tools for the executor's durable state."""

from __future__ import annotations

import sys

import click

from doran.errors import DoranError
from doran.settings import Settings

__all__ = ["executor"]


@click.group()
def executor() -> None:
    """The executor's idempotency history."""


@executor.command("rebuild-state")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to read each topic.")
def rebuild_state(timeout: float) -> None:
    """Rebuild a lost EXECUTOR_STATE_DIR from exec.trade_result and exec.quote_settlement.

    Refuses when the directory already holds a history. Run it with the executor stopped, against
    DORAN_BROKER_ADDRESS, with the same DORAN_CONSUMER_GROUP_PREFIX as the executor.
    """
    from doran.executor import rebuild_state as rebuild

    settings = Settings()
    if not settings.broker_address:
        click.secho("error: doran executor rebuild-state needs DORAN_BROKER_ADDRESS.", fg="red", err=True)
        sys.exit(2)
    try:
        report = rebuild(
            settings.executor_state_dir,
            settings.broker_address,
            settings.consumer_group_prefix,
            timeout_s=timeout,
        )
    except DoranError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    for line in report.lines():
        click.echo(line)
