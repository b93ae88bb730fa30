"""The one error of the benchmark."""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["BenchmarkError"]


class BenchmarkError(DoranError):
    """A measurement could not complete: an app stopped early, or its output never arrived in time."""
