"""`doran-codegen`: the contract toolchain's own command (never shipped in the runtime image).

doran-codegen [--check]   render generated/, docs/contracts.md and the deploy script from schemas/
doran-codegen lint        schema conventions and golden examples
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from doran.errors import DoranError

__all__ = ["main"]

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


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@_schemas_option
@click.option("--check", is_flag=True, help="Write nothing; fail if any generated file is stale.")
@click.pass_context
def main(context: click.Context, schemas_dir: Path, check: bool) -> None:
    """Render everything generated from schemas/ (the default), or run a subcommand."""
    if context.invoked_subcommand is not None:
        return
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


@main.command()
@_schemas_option
def lint(schemas_dir: Path) -> None:
    """Check the schema conventions and the golden examples; exit 1 on any finding."""
    from doran.codegen.lint import lint as lint_schemas
    from doran.schema_source.schema_set import load_schema_set

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
