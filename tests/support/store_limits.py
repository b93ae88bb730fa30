"""Working stores that run out of room: every sqlite connection of `doran.state` capped at a few pages
(`PRAGMA max_page_count`), so writes past them fail with sqlite's own SQLITE_FULL ("database or disk
is full"), as on a full volume, without root or a volume of that size.

In this process: `monkeypatch.setattr(*page_limit(8))`. In a stage process: `page_limit_environment(8)`
puts `sqlite_page_limit/sitecustomize.py` on its PYTHONPATH, which applies the same limit at start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from doran.state import sqlite_table

__all__ = ["PAGE_LIMIT_VARIABLE", "apply_page_limit_from_environment", "page_limit", "page_limit_environment"]

PAGE_LIMIT_VARIABLE = "DORAN_TEST_SQLITE_MAX_PAGES"  # read by sitecustomize in the stage process only
_SITE = Path(__file__).parent / "sqlite_page_limit"


def page_limit(pages: int) -> tuple[type[Any], str, Callable[..., Any]]:
    """(class, attribute, replacement) for monkeypatch.setattr: the stores' connections open capped."""
    writer = sqlite_table._Writer
    connect = writer._connect

    def capped(self: Any) -> tuple[Any, Any]:
        connection, cursor = connect(self)
        cursor.execute(f"PRAGMA max_page_count = {int(pages)}", ())
        return connection, cursor

    return writer, "_connect", capped


def apply_page_limit_from_environment() -> None:
    """Cap the stores' connections at $DORAN_TEST_SQLITE_MAX_PAGES pages, if set (sitecustomize)."""
    pages = os.environ.get(PAGE_LIMIT_VARIABLE)
    if pages:
        owner, name, replacement = page_limit(int(pages))
        setattr(owner, name, replacement)


def page_limit_environment(pages: int, environment: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Variables for a stage process whose working stores are capped at `pages` pages."""
    tests = Path(__file__).parent.parent
    path = os.pathsep.join(filter(None, [str(_SITE), str(tests), environment.get("PYTHONPATH", "")]))
    return {PAGE_LIMIT_VARIABLE: str(pages), "PYTHONPATH": path}
