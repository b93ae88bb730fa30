"""How `doran demo` plays; its own module so the CLI shows these defaults without importing the demo."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DemoOptions"]


@dataclass(frozen=True)  # no slots: the CLI reads the defaults off the class
class DemoOptions:
    """Frames played per second; the quotes' min_deadline_ms (shortened from the recorded 60 s, so that
    quotes nobody fills expire within the run) and the settlement grace after a deadline."""

    rate_per_s: float = 200.0
    min_deadline_ms: int = 4_000
    settlement_grace_ms: int = 1_000
    drain_timeout_s: float = 180.0
