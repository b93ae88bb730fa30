"""The highest offered rate at which the end-to-end p99 stays within a bound: a bounded search.

From a first measured rate it steps by `factor` (up while the bound holds, down while it does not)
until the bound's edge is bracketed, then bisects (geometrically) the bracket while it is wider than
`resolution` and runs are left. Every run is a fresh measurement (benchmarks/_latency.py); all of
them are kept. The answer is the highest rate tried that met the bound below the lowest that did not,
so a noisy run cannot make the answer jump above a failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks._latency import LatencyRun

__all__ = ["RateSearch", "search_rate"]


@dataclass(frozen=True, slots=True)
class RateSearch:
    """What the search tried, and what it found."""

    bound_ms: float
    runs: list[LatencyRun] = field(default_factory=list)
    # The highest offered rate (quotes/s) whose p99 met the bound below every failed one; None if none met it.
    highest_rate: float | None = None
    # Why the search stopped where it did, for the report.
    note: str = ""

    def met(self, run: LatencyRun) -> bool:
        return run.latency.p99_ms <= self.bound_ms


def search_rate(
    measure: Callable[[float], LatencyRun],
    *,
    bound_ms: float,
    first: LatencyRun,
    factor: float = 2.0,
    lowest: float = 25.0,
    highest: float = 8000.0,
    resolution: float = 1.3,
    max_runs: int = 6,
) -> RateSearch:
    """Search with `measure(rate)`, starting from `first` (a run already made, counted as found).

    Stops after `max_runs` new runs, when the bracket [passed, failed] is within `resolution`x, or at
    the `lowest` / `highest` rate tried. The simulator must keep the rate: a run whose achieved rate
    falls short of 95% of the offered one ends the upward search there (the bench, not doran, is
    the limit)."""
    runs = [first]
    probe = RateSearch(bound_ms)

    def bracket() -> tuple[float | None, float | None]:
        failed = [r.offered_rate for r in runs if not probe.met(r)]
        ceiling = min(failed) if failed else None
        passed = [
            r.offered_rate for r in runs if probe.met(r) and (ceiling is None or r.offered_rate < ceiling)
        ]
        return (max(passed) if passed else None, ceiling)

    note = ""
    while len(runs) - 1 < max_runs:
        passed, failed = bracket()
        if passed is not None and failed is not None:
            if failed / passed <= resolution:
                note = f"bracketed within {resolution:g}x"
                break
            rate = math.sqrt(passed * failed)
        elif failed is None:
            assert passed is not None
            top = max(runs, key=lambda r: r.offered_rate)
            if top.achieved_rate < 0.95 * top.offered_rate:
                note = f"the relay simulator could not send faster than {top.achieved_rate:,.0f}/s"
                break
            if passed * factor > highest:
                note = f"met the bound up to {highest:g}/s, the highest rate tried"
                break
            rate = passed * factor
        else:
            if failed / factor < lowest:
                note = f"missed the bound down to {failed:g}/s; {lowest:g}/s is the lowest rate tried"
                break
            rate = failed / factor
        runs.append(measure(round(rate)))
    else:
        note = f"stopped after {max_runs} run{'' if max_runs == 1 else 's'}"
    passed, _ = bracket()
    return RateSearch(bound_ms, sorted(runs, key=lambda r: r.offered_rate), passed, note)
