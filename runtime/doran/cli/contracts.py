"""`doran contracts ...`: validate messages against the contracts, and gate schema changes.

Generating and linting the contracts is the toolchain's own command, `doran-codegen`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from doran.errors import DoranError

__all__ = ["contracts"]


def _fail(exc: DoranError) -> None:
    click.secho(f"error: {exc}", fg="red", err=True)
    sys.exit(2)


@click.group()
def contracts() -> None:
    """Validate messages against the contracts and gate changes to schemas/."""


@contracts.command()
@click.argument("topic")
@click.argument("files", nargs=-1, type=click.File("rb"))
def validate(topic: str, files: tuple[IO[bytes], ...]) -> None:
    """Validate messages (one JSON document per FILE, or JSON lines on stdin) against TOPIC."""
    from doran.wire import ContractViolation, decode
    from doran.wire import topic as topic_spec

    sources = [(f.name, f.read()) for f in files] or [
        (f"<stdin>:{n}", line) for n, line in enumerate(sys.stdin.buffer, 1) if line.strip()
    ]
    bad = 0
    for name, data in sources:
        try:
            decode(topic_spec(topic), data)
        except ContractViolation as exc:
            bad += 1
            click.echo(f"{name}: {exc.reason}")
            for violation in exc.violations:
                click.echo(f"  {violation.pointer or '(message)'}: {violation.message}")
        except DoranError as exc:
            _fail(exc)
    click.echo(f"{len(sources) - bad} valid, {bad} invalid")
    sys.exit(1 if bad else 0)


@contracts.command("check")
@click.option(
    "--against", required=True, help="A git ref (e.g. HEAD~1, origin/main) or a folder of published schemas."
)
@click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True
)
def check_against(against: str, repo: Path) -> None:
    """Breaking-change gate: compare each topic's schema with its previous version."""
    from doran.compat import run_check

    try:
        sys.exit(run_check(against, repo_root=repo.resolve(), out=sys.stdout))
    except DoranError as exc:
        _fail(exc)
