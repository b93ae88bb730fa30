"""How a `doran` command ends on an error the user can act on: one line on stderr, exit code 2.

`OneLineErrors` is the group class of `doran`: whatever command runs (extensions' included), a
DoranError it lets through (a bad setting, a missing file, an unreachable broker) and click's own
usage errors (a bad option, a missing argument, a path that does not exist) end the same way, with
no traceback and no usage block.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from doran.errors import DoranError

__all__ = ["OneLineErrors", "exit_with"]


def _say(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)


def exit_with(exc: DoranError) -> NoReturn:
    """Print `error: <message>` (no traceback) and exit with 2."""
    _say(str(exc))
    sys.exit(2)


class _OneLine(click.ClickException):
    """A click error as one line, exit code 2; a usage error says where the help is, on the same line."""

    exit_code = 2

    def __init__(self, error: click.ClickException) -> None:
        super().__init__(error.format_message())
        context = getattr(error, "ctx", None)
        self.help = (
            f" (see `{context.command_path} --help`)"
            if isinstance(error, click.UsageError) and context
            else ""
        )

    def show(self, file: Any = None) -> None:
        _say(f"{self.format_message()}{self.help}")


class OneLineErrors(click.Group):
    """A click group whose commands' DoranErrors and usage errors end as one line, exit code 2."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as error:
            raise _OneLine(error) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DoranError as exc:
            exit_with(exc)
        except click.ClickException as error:
            raise _OneLine(error) from None
