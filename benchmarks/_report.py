"""What one `make bench` run measured, its verdicts against the targets, and its JSON form."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from benchmarks._latency import LatencyResult
from benchmarks._profile import HandlerProfile
from benchmarks._throughput import Throughput

__all__ = ["LATENCY_TARGET_P99_MS", "TARGETS", "Report"]

#: Throughput targets as a fraction of the identity app's rate.
TARGETS = {"normalize": 0.85, "decide": 0.85, "execute": 0.50}
LATENCY_TARGET_P99_MS = 50.0


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
    latency: list[LatencyResult] = dataclasses.field(default_factory=list)
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

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Each target: measured, wanted, met."""
        found: dict[str, dict[str, Any]] = {}
        for name, target in TARGETS.items():
            if name in self.throughput and "identity" in self.throughput:
                ratio = self.ratio(name)
                found[f"{name} throughput / identity"] = {
                    "measured": ratio,
                    "target": target,
                    "met": ratio >= target,
                }
        for result in self.latency:
            p99 = result.end_to_end.p99_ms
            found[f"p99 latency ({result.label})"] = {
                "measured": p99,
                "target": LATENCY_TARGET_P99_MS,
                "met": p99 <= LATENCY_TARGET_P99_MS,
            }
        return found

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
            "throughput": summary,
            "throughput_runs": {k: [dataclasses.asdict(t) for t in v] for k, v in self.throughput.items()},
            "profiles": [dataclasses.asdict(p) | {"overhead": self.overhead(p)} for p in self.profiles],
            "latency": [dataclasses.asdict(r) for r in self.latency],
            "verdicts": self.verdicts(),
            "reproduce": self.reproduce,
        }
