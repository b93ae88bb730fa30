"""What one `make bench` run measured, its verdicts against issue 9's targets, and its JSON form."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from benchmarks._latency import LatencyRun
from benchmarks._profile import HandlerProfile
from benchmarks._rate_search import RateSearch
from benchmarks._recovery import Recovery
from benchmarks._state_size import StateSize
from benchmarks._throughput import Throughput
from doran.venues import AUCTION_CLOSED_ERROR

__all__ = [
    "LATENCY_RATE",
    "LATENCY_TARGET_P99_MS",
    "OVERLOAD_HOLDS",
    "RECOVERY_N",
    "SEARCH_BOUND_P99_MS",
    "SEARCH_TARGET_RATE",
    "TARGETS",
    "Report",
    "Verdict",
]

#: Throughput targets as a fraction of the identity app's rate (execute: with its durability intact).
TARGETS = {"normalize": 0.60, "decide": 0.60, "execute": 0.35}
#: p99 quote event -> quote_response received, at LATENCY_RATE quotes/s, with the defaults.
LATENCY_TARGET_P99_MS = 50.0
LATENCY_RATE = 1000.0
#: The rate search finds the highest offered rate whose p99 stays within this (issue 16: >= 500/s).
SEARCH_BOUND_P99_MS = 100.0
SEARCH_TARGET_RATE = 500.0
#: At LATENCY_RATE, quotes answered inside their auction per second, over those at the highest rate
#: the search found (issue 16: >= 0.90, with none answered late).
OVERLOAD_HOLDS = 0.90
#: Commands whose state the recovery phase restores from the changelog.
RECOVERY_N = 100_000


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """One target: what was measured, what is wanted (None: reported, no bar), and whether it was met."""

    measured: float | None
    unit: str
    wanted: str
    met: bool | None


@dataclasses.dataclass
class Report:
    """Everything one run measured, plus how and where."""

    n: int
    repeat: int
    profile_n: int
    machine: dict[str, Any]
    settings: dict[str, Any]
    throughput: dict[str, list[Throughput]] = dataclasses.field(default_factory=dict)
    profiles: list[HandlerProfile] = dataclasses.field(default_factory=list)
    headline: LatencyRun | None = None  # LATENCY_RATE quotes/s with the defaults
    search: RateSearch | None = None
    what_if: list[LatencyRun] = dataclasses.field(default_factory=list)  # not the defaults: no verdicts
    quote_census: dict[str, int] = dataclasses.field(default_factory=dict)
    relay_judge_us: float | None = None  # the simulator's own time per quote_response (_relay_cost.py)
    recovery: Recovery | None = None
    reproduce: str = ""

    def rate(self, name: str) -> float:
        """Best msgs/s of the named measurement over its repeats: the least-disturbed run."""
        return max(t.rate for t in self.throughput[name])

    def cpu_us(self, name: str) -> float:
        """Least CPU µs/msg of the named measurement's process over its repeats (NaN if not measured)."""
        found = [t.cpu_us_per_msg for t in self.throughput[name] if not math.isnan(t.cpu_us_per_msg)]
        return min(found) if found else math.nan

    def peak_rss_mib(self, name: str) -> float:
        """Largest peak RSS of the named measurement's process over its repeats, MiB: memory is sized for
        the worst run, and unlike time it hardly depends on other load."""
        found = [t.peak_rss_mib for t in self.throughput[name] if not math.isnan(t.peak_rss_mib)]
        return max(found) if found else math.nan

    def cpu_ratio(self, name: str) -> float:
        """Identity's CPU per message / this one's: the throughput ratio if CPU were the only limit."""
        return self.cpu_us("identity") / self.cpu_us(name) if "identity" in self.throughput else math.nan

    def ratio(self, name: str) -> float:
        return self.rate(name) / self.rate("identity") if "identity" in self.throughput else math.nan

    def state_sizes(self) -> dict[str, StateSize]:
        """The executor's state on disk after each run that had one: the throughput run's (simulated
        venue; the largest over the repeats) and the headline latency run's (NEAR Intents venue)."""
        found: dict[str, StateSize] = {}
        sized = [t.state for t in self.throughput.get("execute", []) if t.state is not None]
        if sized:
            found["execute throughput run (simulated venue)"] = max(sized, key=lambda s: s.bytes_per_command)
        if self.headline is not None and self.headline.state is not None:
            found[f"latency run {self.headline.label} (NEAR Intents venue)"] = self.headline.state
        return found

    def verdicts(self) -> dict[str, Verdict]:
        """Each target of issue 9: measured, wanted, met (None where there is only a figure to report)."""
        found: dict[str, Verdict] = {}
        for name, target in TARGETS.items():
            if name in self.throughput and "identity" in self.throughput:
                ratio = self.ratio(name)
                found[f"{name} throughput / identity"] = Verdict(
                    ratio, "x", f">= {target:.2f}", ratio >= target
                )
        if self.headline is not None:
            p99 = self.headline.latency.p99_ms
            found[f"p99 quote event -> answer at {LATENCY_RATE:,.0f}/s"] = Verdict(
                p99, "ms", f"<= {LATENCY_TARGET_P99_MS:g}", p99 <= LATENCY_TARGET_P99_MS
            )
        if self.search is not None:
            highest = self.search.highest_rate
            found[f"highest offered rate with p99 <= {SEARCH_BOUND_P99_MS:g} ms"] = Verdict(
                highest,
                "quotes/s",
                f">= {SEARCH_TARGET_RATE:g}",
                highest is not None and highest >= SEARCH_TARGET_RATE,
            )
            held = self.overload_held()
            if held is not None:
                found[f"answered in time at {LATENCY_RATE:,.0f}/s / at the highest sustainable rate"] = (
                    Verdict(held, "x", f">= {OVERLOAD_HOLDS:.2f}", held >= OVERLOAD_HOLDS)
                )
        if self.headline is not None:
            late = answered_late(self.headline)
            found[f"answered after their auction closed at {LATENCY_RATE:,.0f}/s"] = Verdict(
                float(late), "quotes", "0", late == 0
            )
        if "execute" in self.throughput:
            found["executor CPU per command (throughput run)"] = Verdict(
                self.cpu_us("execute"), "µs", "reported (no bar)", None
            )
        if self.recovery is not None:
            found[f"time to restore {self.recovery.commands:,} commands from the changelog"] = Verdict(
                self.recovery.seconds, "s", "reported (no bar)", None
            )
        return found

    def overload_held(self) -> float | None:
        """Quotes answered in time per second at LATENCY_RATE over those at the highest sustainable rate
        (the rate search's best run): does the count answered in time hold level above saturation?"""
        if self.headline is None or self.search is None or self.search.highest_rate is None:
            return None
        best = max(
            (run for run in self.search.runs if run.offered_rate == self.search.highest_rate),
            key=answered_in_time_per_s,
            default=None,
        )
        if best is None or answered_in_time_per_s(best) == 0:
            return None
        return answered_in_time_per_s(self.headline) / answered_in_time_per_s(best)

    def overhead(self, profile: HandlerProfile) -> dict[str, float]:
        """µs per message of the stage on the broker, and how it splits (wall from the best rate, and CPU).

        quix_overhead_us = stage - isolated handler (wall). The CPU split uses the identity and shell
        runs: identity = Quix's floor, shell - identity = doran's stage wiring, stage - shell = what
        the handler costs inside the running stage (more than in a tight loop: colder caches).
        """
        if profile.stage not in self.throughput:
            return {}
        stage_us = 1e6 / self.rate(profile.stage)
        split = {
            "stage_us": stage_us,
            "handler_us": profile.handler_us,
            "quix_overhead_us": stage_us - profile.handler_us,
        }
        if "identity" in self.throughput and "shell" in self.throughput:
            identity, shell, stage = self.cpu_us("identity"), self.cpu_us("shell"), self.cpu_us(profile.stage)
            split |= {
                "stage_cpu_us": stage,
                "identity_cpu_us": identity,
                "wiring_cpu_us": shell - identity,
                "handler_in_stage_cpu_us": stage - shell,
            }
        return split

    def as_json(self) -> dict[str, Any]:
        summary = {
            name: {
                "msgs_per_s": self.rate(name),
                "ratio_to_identity": self.ratio(name),
                "target": TARGETS.get(name),
                "cpu_us_per_msg": self.cpu_us(name),
                "cpu_ratio_to_identity": self.cpu_ratio(name),
                "peak_rss_mib": self.peak_rss_mib(name),
            }
            for name in self.throughput
        }
        return {
            "n": self.n,
            "repeat": self.repeat,
            "profile_n": self.profile_n,
            "machine": self.machine,
            "settings": self.settings,
            "verdicts": {name: dataclasses.asdict(v) for name, v in self.verdicts().items()},
            "throughput": summary,
            "throughput_runs": {k: [dataclasses.asdict(t) for t in v] for k, v in self.throughput.items()},
            "profiles": [dataclasses.asdict(p) | {"overhead": self.overhead(p)} for p in self.profiles],
            "quote_census": self.quote_census,
            "relay_simulator_judge_us_per_response": self.relay_judge_us,
            "latency": None if self.headline is None else _run_json(self.headline),
            "rate_search": None
            if self.search is None
            else {
                "bound_p99_ms": self.search.bound_ms,
                "highest_rate": self.search.highest_rate,
                "note": self.search.note,
                "runs": [_run_json(run) for run in self.search.runs],
            },
            "what_if": [_run_json(run) for run in self.what_if],
            "recovery": None
            if self.recovery is None
            else dataclasses.asdict(self.recovery) | {"commands_per_s": self.recovery.commands_per_s},
            "executor_state": {
                name: dataclasses.asdict(size) | {"bytes_per_command": size.bytes_per_command}
                for name, size in self.state_sizes().items()
            },
            "reproduce": self.reproduce,
        }


def answered_in_time_per_s(run: LatencyRun) -> float:
    """Quotes the relay accepted (inside their auction) per second of the run's offering."""
    seconds = (run.quotes - 1) / run.achieved_rate if run.achieved_rate > 0 else math.nan
    return run.verdicts.get("OK", 0) / seconds if seconds > 0 else math.nan


def answered_late(run: LatencyRun) -> int:
    """Quote_responses the relay refused as after their auction closed."""
    return sum(n for verdict, n in run.verdicts.items() if AUCTION_CLOSED_ERROR in verdict)


def _run_json(run: LatencyRun) -> dict[str, Any]:
    return dataclasses.asdict(run) | {
        "commands": run.commands,
        "declined": run.declined,
        "answered_in_time_per_s": answered_in_time_per_s(run),
        "answered_late": answered_late(run),
    }
