"""Readiness as named conditions: a stage is ready ("I can do my job now") while every condition it needs
holds, e.g. partitions assigned and a broker up for a consuming stage, the relay subscribed and a working
producer for ingest. Each change of the whole is logged once, naming what is missing, and /readyz says it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from doran.stages.lifecycle import Lifecycle

__all__ = ["Readiness"]


class Readiness:
    """Conditions start unmet; `set` them from wherever they are observed (any thread)."""

    def __init__(self, lifecycle: Lifecycle, conditions: Iterable[str]) -> None:
        self._lifecycle = lifecycle
        self._holds = dict.fromkeys(conditions, False)
        if not self._holds:
            raise ValueError("a stage's readiness needs at least one condition")
        self._lock = threading.Lock()
        self._ready = False
        self._announced = False  # the first verdict is logged once a condition has been observed

    def set(self, condition: str, holds: bool) -> None:
        """Record whether `condition` holds now; logs `ready`/`unready` when the whole changes."""
        if condition not in self._holds:
            raise KeyError(f"unknown readiness condition {condition!r}; one of {', '.join(self._holds)}")
        with self._lock:
            self._holds[condition] = holds
            ready = all(self._holds.values())
            if ready == self._ready and self._announced:
                return
            first, self._ready, self._announced = not self._announced, ready, True
            missing = self.missing()
        if ready:
            self._lifecycle.log("ready")
        elif not first:
            self._lifecycle.log("unready", missing=missing)

    @property
    def ready(self) -> bool:
        return self._ready

    def missing(self) -> tuple[str, ...]:
        """The conditions that do not hold, in declaration order."""
        return tuple(name for name, holds in self._holds.items() if not holds)

    def probe(self) -> tuple[bool, str]:
        """/readyz's answer: whether ready, and what is missing when not."""
        missing = self.missing()
        return (not missing, "ready" if not missing else "not ready: " + ", ".join(missing))
