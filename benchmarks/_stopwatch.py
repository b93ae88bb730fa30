"""A stopwatch over message counts: rate and CPU per message over the window the messages passed."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Stopwatch"]


class Stopwatch:
    """Counts messages as they pass one point; rate = messages after the first tick / time since it.

    The first tick's messages are excluded because they mark the start of the window, so a rate is
    (count - first batch) / (last tick - first tick): group join and start-up fall outside it.
    `cpu` is the CPU clock of the process doing the work: this one by default, or another process's
    (read from /proc) when the work happens elsewhere.
    """

    def __init__(self, cpu: Callable[[], float] = time.process_time) -> None:
        self.count = 0
        self._cpu = cpu
        self._first_n = 0
        self._first = self._last = 0.0
        self._first_cpu = self._last_cpu = 0.0

    def tick(self, n: int = 1) -> None:
        now, cpu = time.perf_counter(), self._cpu()
        if self.count == 0:
            self._first, self._first_cpu, self._first_n = now, cpu, n
        self.count += n
        self._last, self._last_cpu = now, cpu

    @property
    def cpu_us_per_msg(self) -> float:
        """CPU time of the working process (every thread, librdkafka's too) per message in the window, µs.

        Unlike the rate it does not depend on what else the machine runs."""
        return (self._last_cpu - self._first_cpu) / self.counted * 1e6 if self.counted else 0.0

    @property
    def window_s(self) -> float:
        return self._last - self._first

    @property
    def counted(self) -> int:
        """Messages inside the window: all but the first tick's."""
        return self.count - self._first_n

    @property
    def rate(self) -> float:
        """Messages per second over the window; 0.0 before two ticks."""
        return self.counted / self.window_s if self.window_s > 0 else 0.0
