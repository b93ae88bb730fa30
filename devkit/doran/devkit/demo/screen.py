"""Where the demo writes: live progress on a terminal; in a file (`make demo > out.txt`) the final
progress once and every table whole, one after the other: no live redraws, no line wrapped."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from rich.console import Console, RenderableType
from rich.live import Live

__all__ = ["FILE_WIDTH", "demo_console", "print_tables", "progress"]

#: Columns of a console writing to a file, which has no width of its own: wider than any summary row.
FILE_WIDTH = 200


def demo_console(file: IO[str] | None = None) -> Console:
    """A console on `file` (stdout by default); one that is no terminal is FILE_WIDTH wide."""
    console = Console(file=file)
    return console if console.is_terminal else Console(file=file, width=FILE_WIDTH)


@contextmanager
def progress(console: Console) -> Iterator[Callable[[RenderableType], None]]:
    """A function showing the latest progress: redrawn in place on a terminal; in a file, only the
    last one, printed once when the block ends."""
    if console.is_terminal:
        with Live(console=console, refresh_per_second=4) as live:
            yield live.update
        return
    latest: list[RenderableType] = []

    def keep(renderable: RenderableType) -> None:
        latest[:] = [renderable]

    yield keep
    print_tables(console, latest)


def print_tables(console: Console, tables: Sequence[RenderableType]) -> None:
    """Each table on lines of its own, a blank line after each."""
    for table in tables:
        console.print(table)
        console.print()
