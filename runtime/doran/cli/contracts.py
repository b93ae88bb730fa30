"""`doran contracts ...`: validate messages against the contracts, and gate schema changes.

Generating and linting the contracts is the toolchain's own command, `doran-codegen`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from doran.errors import DoranError

if TYPE_CHECKING:
    from doran.settings import Settings
    from doran.wire import Framing

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
    """Validate messages (one record value per FILE, or JSON lines on stdin) against TOPIC.

    A value may be bare JSON or Confluent-framed (0x00 + 4-byte schema id + JSON, as records of a topic
    framed `confluent` are). With DORAN_REGISTRY_URL set, the schema id must be one the registry holds
    under the topic's subject; without, it is reported as not checked.
    """
    from doran.settings import Settings
    from doran.wire import ContractViolation, decode, describe, unframe
    from doran.wire import topic as topic_spec

    sources = [(f.name, f.read()) for f in files] or [
        (f"<stdin>:{n}", line) for n, line in enumerate(sys.stdin.buffer, 1) if line.strip()
    ]
    bad = 0
    try:
        spec = topic_spec(topic)
        framing = _registry_framing(Settings())
        for name, data in sources:
            try:
                found = unframe(spec.name, data)
                decode(spec, found.data) if framing is None else framing.decode(spec, data)
            except ContractViolation as exc:
                bad += 1
                click.echo(f"{name}: {exc.reason}")
                for violation in exc.violations:
                    click.echo(f"  {violation.pointer or '(message)'}: {violation.message}")
                continue
            if found.schema is not None and framing is None:
                click.echo(f"{name}: {describe(found.schema)} not checked (no DORAN_REGISTRY_URL)")
    except DoranError as exc:
        _fail(exc)
    click.echo(f"{len(sources) - bad} valid, {bad} invalid")
    sys.exit(1 if bad else 0)


def _registry_framing(settings: Settings) -> Framing | None:
    """The framing that checks schema ids against DORAN_REGISTRY_URL's registry, if one is set."""
    if not settings.registry_url:
        return None
    from doran.publish import RegistrySchemas
    from doran.publish.credentials import registry_credentials
    from doran.publish.registry_http import SchemaRegistryHttp
    from doran.wire import Framing

    client = SchemaRegistryHttp(settings.registry_url, auth=registry_credentials(settings))
    return Framing({}, RegistrySchemas(client))


@contracts.command("check")
@click.option(
    "--against",
    multiple=True,
    help="A previous version: a git ref (HEAD~1, v1.2.0) or a folder (a schemas/ tree or an export "
    "bundle). Repeat for a history, oldest first.",
)
@click.option(
    "--history", "pattern", help="Every git tag matching this pattern (e.g. 'contracts-v*'), oldest first."
)
@click.option(
    "--error-format",
    type=click.Choice(["text", "json", "junit", "github-actions"]),
    default="text",
    show_default=True,
    help="Report format: a table, JSON, JUnit XML, or GitHub Actions annotations.",
)
@click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True
)
def check_against(against: tuple[str, ...], pattern: str | None, error_format: str, repo: Path) -> None:
    """Breaking-change gate: compare each topic's schema with its published versions.

    Each topic is judged under its mode and policy in topics.json: against the newest version given,
    or every version for *_TRANSITIVE modes. Exit 1 on a breaking change, 2 on unusable input.
    """
    from doran.compat import run_check

    if not against and pattern is None:
        raise click.UsageError("give --against REF/FOLDER (repeatable) or --history PATTERN")
    try:
        sys.exit(
            run_check(
                list(against),
                history=pattern,
                error_format=error_format,
                repo_root=repo.resolve(),
                out=sys.stdout,
            )
        )
    except DoranError as exc:
        _fail(exc)
