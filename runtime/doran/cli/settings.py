"""`doran settings`: every DORAN_* setting with its default and what it does, read from `Settings` itself."""

from __future__ import annotations

import click
from pydantic import AliasChoices, SecretStr

from doran.settings import Settings

__all__ = ["settings"]


def _variable(name: str, alias: object) -> str:
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return f"{prefix}{name}".upper()


@click.command()
@click.option("--markdown", is_flag=True, help="A Markdown table instead of plain text.")
def settings(markdown: bool) -> None:
    """List every setting: its environment variable, default and description."""
    if markdown:
        click.echo("| variable | default | description |\n|---|---|---|")
    for name, field in Settings.model_fields.items():
        variable = _variable(name, field.validation_alias)
        default = field.get_default(call_default_factory=True)
        shown = "(secret)" if isinstance(default, SecretStr) else ("" if default is None else str(default))
        description = field.description or ""
        if markdown:
            click.echo(f"| `{variable}` | {f'`{shown}`' if shown else ''} | {description} |")
        else:
            click.echo(f"{variable}={shown}\n    {description}")
