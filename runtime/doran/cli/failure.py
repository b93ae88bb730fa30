"""How a `doran` command ends on an error the user can act on: one line on stderr, exit code 2."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from doran.errors import DoranError

__all__ = ["exit_with"]


def exit_with(exc: DoranError) -> NoReturn:
    """Print `error: <message>` (no traceback) and exit with 2."""
    click.secho(f"error: {exc}", fg="red", err=True)
    sys.exit(2)
