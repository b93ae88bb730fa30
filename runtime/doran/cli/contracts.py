"""`doran contracts ...`: validate messages against the contracts, and gate schema changes.

Generating and linting the contracts is the toolchain's own command, `doran-codegen`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

if TYPE_CHECKING:
    from doran.contracts import Envelope
    from doran.schema_source.registry import TopicSpec
    from doran.settings import Settings
    from doran.wire import ContractViolation, Framing

__all__ = ["contracts"]


@click.group()
def contracts() -> None:
    """Validate messages against the contracts and gate changes to schemas/."""


@contracts.command()
@click.argument("topic")
@click.argument("files", nargs=-1, type=click.File("rb"))
def validate(topic: str, files: tuple[IO[bytes], ...]) -> None:
    """Validate messages against TOPIC: each FILE holds one message; `-` reads one per line from stdin.

    A golden example (schemas/examples/: {"description", "message"}) is checked as the message it
    holds. A message may be bare JSON or Confluent-framed (0x00 + 4-byte schema id + JSON, as a topic
    framed `confluent` carries it); with DORAN_REGISTRY_URL set, the schema id must be one the registry
    holds under the topic's subject, without it is reported as not checked. A message larger than
    DORAN_MAX_MESSAGE_BYTES is invalid (message_too_large): no broker takes it. Exit code 0 when every
    message is valid, 1 when one is not, 2 when there is nothing to validate.
    """
    from doran.settings import Settings
    from doran.wire import describe, unframe
    from doran.wire import topic as topic_spec

    if not files:
        raise click.UsageError("name the FILEs to validate, or - to read one message per line from stdin")
    spec = topic_spec(topic)
    settings = Settings()
    framing = _registry_framing(settings)
    checked = bad = 0
    for name, data in _messages(files):
        checked += 1
        refusal = _refusal(spec, data, settings.max_message_bytes, framing)
        if refusal is not None:
            bad += 1
            click.echo(f"{name}: {refusal.reason}")
            for violation in refusal.violations:
                click.echo(f"  {violation.pointer or '(message)'}: {violation.message}")
        elif framing is None and (named := unframe(spec.name, data).schema) is not None:
            click.echo(f"{name}: {describe(named)} not checked (no DORAN_REGISTRY_URL)")
    if not checked:
        raise click.BadParameter("stdin holds no message to validate", param_hint="'-'")
    click.echo(f"{checked - bad} valid, {bad} invalid")
    sys.exit(1 if bad else 0)


def _messages(files: tuple[IO[bytes], ...]) -> Iterator[tuple[str, bytes]]:
    """(name, message bytes) of every message in the inputs; a golden example gives its message."""
    for file in files:
        name = getattr(file, "name", "-")
        if name in ("-", "<stdin>"):
            lines = ((f"<stdin>:{n}", line.rstrip(b"\r\n")) for n, line in enumerate(file, 1))
            yield from ((where, _unwrapped(line)) for where, line in lines if line.strip())
            continue
        data = file.read()
        if not data.strip():
            raise click.BadParameter(f"{name} is empty: it holds no message", param_hint="FILES")
        yield name, _unwrapped(data)


def _unwrapped(data: bytes) -> bytes:
    """The message of a golden example; any other input as it is."""
    from doran.schema_source.golden import golden_example

    if not data.lstrip().startswith(b"{"):
        return data
    try:
        example = golden_example(json.loads(data))
    except ValueError:
        return data
    return example.data if example is not None else data


def _refusal(
    spec: TopicSpec[Envelope], data: bytes, limit: int, framing: Framing | None
) -> ContractViolation | None:
    """Why the topic refuses the message, its size and framing included; None when it takes it."""
    from doran.contracts import DeadLetterReason
    from doran.wire import ContractViolation, decode, size_violation, unframe

    if len(data) > limit:
        violation = size_violation("The message", len(data), limit)
        return ContractViolation(spec.name, DeadLetterReason.MESSAGE_TOO_LARGE, [violation])
    try:
        if framing is None:
            decode(spec, unframe(spec.name, data).data)
        else:
            framing.decode(spec, data)
    except ContractViolation as refused:
        return refused
    return None


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
    code = run_check(
        list(against), history=pattern, error_format=error_format, repo_root=repo.resolve(), out=sys.stdout
    )
    sys.exit(code)
