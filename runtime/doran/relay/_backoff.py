"""Reconnect delays: capped exponential backoff with jitter; pure."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before reconnect attempt n (0-based): min(cap, base * factor**n), scaled into [1 - jitter, 1]."""

    base_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.factor < 1 or self.cap_s < self.base_s or not 0 <= self.jitter <= 1:
            raise ValueError(
                f"Invalid backoff {self!r}: need base_s > 0, factor >= 1, cap_s >= base_s, 0 <= jitter <= 1"
            )

    def delay(self, attempt: int, unit_random: float) -> float:
        """Seconds to wait before attempt `attempt`; `unit_random` in [0, 1) spreads clients apart."""
        if attempt < 0 or not 0 <= unit_random < 1:
            raise ValueError(f"attempt must be >= 0 and unit_random in [0, 1), got {attempt}, {unit_random}")
        # Cap the exponent first so a long outage cannot overflow the float.
        ceiling = min(self.cap_s, self.base_s * self.factor ** min(attempt, 64))
        return ceiling * (1.0 - self.jitter * unit_random)
