"""`doran contracts ...`: generate, lint, validate and gate the contracts in schemas/.

The toolchain (doran.codegen, doran.compat) is imported inside each command, so a runtime image
without the `codegen` extra still starts every other command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from doran.errors import DoranError

__all__ = ["contracts"]

_schemas_option = click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="The schemas folder (topics.json + JSON Schemas).",
)


def _fail(exc: DoranError) -> None:
    click.secho(f"error: {exc}", fg="red", err=True)
    sys.exit(2)


@click.group()
def contracts() -> None:
    """Generate, lint, validate and gate the contracts in schemas/."""


@contracts.command()
@_schemas_option
@click.option("--check", is_flag=True, help="Write nothing; fail if generated/ or docs/ are stale.")
def codegen(schemas_dir: Path, check: bool) -> None:
    """Render generated/doran/contracts and docs/contracts.md from the schemas."""
    from doran.codegen.generate import check as check_outputs
    from doran.codegen.generate import render, write

    root = schemas_dir.resolve().parent
    try:
        rendered = render(schemas_dir)
    except DoranError as exc:
        _fail(exc)
        return
    if check:
        problems = check_outputs(rendered, root)
        for problem in problems:
            click.echo(problem)
        if problems:
            click.secho(
                "generated output is stale: run `make codegen` and commit the result", fg="red", err=True
            )
            sys.exit(1)
        click.echo(f"generated output is up to date ({len(rendered.files)} files)")
        return
    changed = write(rendered, root)
    click.echo(f"wrote {len(rendered.files)} files, {len(changed)} changed")
    for path in changed:
        click.echo(f"  {path}")


@contracts.command()
@_schemas_option
def lint(schemas_dir: Path) -> None:
    """Check the schema conventions and the golden examples; exit 1 on any finding."""
    from doran.codegen.lint import lint as lint_schemas
    from doran.codegen.schemaset import load_schema_set

    try:
        findings = lint_schemas(load_schema_set(schemas_dir))
    except DoranError as exc:
        _fail(exc)
        return
    for finding in findings:
        click.echo(str(finding))
    if findings:
        sys.exit(1)
    click.echo("schemas follow every convention")


@contracts.command()
@click.argument("topic")
@click.argument("files", nargs=-1, type=click.File("rb"))
def validate(topic: str, files: tuple[IO[bytes], ...]) -> None:
    """Validate messages (one JSON document per FILE, or JSON lines on stdin) against TOPIC."""
    from doran.wire import ContractViolation, decode

    sources = [(f.name, f.read()) for f in files] or [
        (f"<stdin>:{n}", line) for n, line in enumerate(sys.stdin.buffer, 1) if line.strip()
    ]
    bad = 0
    for name, data in sources:
        try:
            decode(topic, data)
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
