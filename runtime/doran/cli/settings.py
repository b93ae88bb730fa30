"""`doran settings`: every setting with the value in effect (secrets masked), read from `Settings` itself."""

from __future__ import annotations

import click
from pydantic import SecretStr

from doran.cli.failure import exit_with
from doran.environment import InvalidSettings, variable
from doran.settings import Settings

__all__ = ["settings"]

_MASK = "********"


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return _MASK
    return str(value)


@click.command()
@click.option(
    "--markdown",
    is_flag=True,
    help="The reference table (variable, default, description) in Markdown, whatever the environment.",
)
def settings(markdown: bool) -> None:
    """List every setting: its environment variable, the value in effect (secrets masked) and what it
    does. Exits 2, naming the variable, when the environment holds a value a setting does not allow."""
    if markdown:
        click.echo("| variable | default | description |\n|---|---|---|")
        for name, field in Settings.model_fields.items():
            made = field.get_default(call_default_factory=True)
            default = f"`{_shown(made)}`" if made is not None else ""
            click.echo(f"| `{variable(Settings, name)}` | {default} | {field.description} |")
        return
    try:
        effective = Settings()
    except InvalidSettings as exc:
        exit_with(exc)
    for name, field in Settings.model_fields.items():
        value, made = getattr(effective, name), field.get_default(call_default_factory=True)
        note = "" if value == made else f"  (default: {_shown(made) or 'unset'})"
        click.echo(f"{variable(Settings, name)}={_shown(value)}{note}\n    {field.description}")
