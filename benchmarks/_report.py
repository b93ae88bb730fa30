"""The benchmark's verdicts and its outputs: a console table, reports/bench.json, reports/bench.md."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from benchmarks._latency import LatencyResult
from benchmarks._profile import HandlerProfile
from benchmarks._throughput import Throughput

__all__ = ["LATENCY_TARGET_P99_MS", "TARGETS", "Report", "render_markdown", "render_text", "write_reports"]

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
        found = [t.cpu_us_per_msg for t in self.throughput[name] if t.cpu_us_per_msg is not None]
        return min(found) if found else math.nan

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

    def as_json(self) -> dict[str, Any]:
        summary = {
            name: {
                "msgs_per_s": self.rate(name),
                "ratio_to_identity": self.ratio(name),
                "cpu_us_per_msg": self.cpu_us(name),
                "cpu_ratio_to_identity": self.cpu_ratio(name),
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


def _throughput_rows(report: Report) -> list[list[str]]:
    rows = []
    for name, runs in report.throughput.items():
        target = TARGETS.get(name)
        ratio = report.ratio(name)
        verdict = "" if target is None else ("met" if ratio >= target else "MISSED")
        rows.append(
            [
                name,
                f"{report.rate(name):,.0f}",
                " ".join(f"{t.rate:,.0f}" for t in runs),
                f"{ratio:.2f}",
                f">= {target:.2f}" if target else "",
                verdict,
                f"{report.cpu_us(name):.0f}",
                f"{report.cpu_ratio(name):.2f}",
                runs[0].timed_at,
            ]
        )
    return rows


def _profile_rows(report: Report) -> list[list[str]]:
    rows = []
    labels = (
        ("stage_us", "stage on the broker, wall (1 / best rate)"),
        ("quix_overhead_us", "Quix overhead = stage - handler (wall)"),
        ("stage_cpu_us", "stage on the broker, CPU"),
        ("identity_cpu_us", "  Quix floor (identity app), CPU"),
        ("wiring_cpu_us", "  doran stage wiring (shell - identity), CPU"),
        ("handler_in_stage_cpu_us", "  handler inside the stage (stage - shell), CPU"),
    )
    for profile in report.profiles:
        split = report.overhead(profile)
        rows.append(
            [profile.stage, "handler, tight loop (parts below timed one by one)", f"{profile.handler_us:.1f}"]
        )
        rows += [[profile.stage, f"  {part}", f"{us:.1f}"] for part, us in profile.parts_us.items()]
        rows += [[profile.stage, label, f"{split[key]:.1f}"] for key, label in labels if key in split]
    return rows


def _latency_rows(report: Report) -> list[list[str]]:
    rows = []
    for r in report.latency:
        e = r.end_to_end
        hops = " ".join(f"{stage} {p.p50_ms:.0f}/{p.p99_ms:.0f}" for stage, p in r.per_stage.items())
        rows.append(
            [
                r.label,
                f"{r.commit_interval_s:g}",
                " ".join(r.overrides) or "-",
                f"{r.achieved_rate:,.0f}",
                f"{r.measured}/{r.missing}",
                f"{e.p50_ms:.0f}",
                f"{e.p90_ms:.0f}",
                f"{e.p99_ms:.0f}",
                f"{e.max_ms:.0f}",
                "met" if e.p99_ms <= LATENCY_TARGET_P99_MS else "MISSED",
                hops,
                " ".join(f"{name.split()[0]} {cores:.2f}" for name, cores in r.cores_used.items()),
            ]
        )
    return rows


_HEADERS = {
    "throughput": [
        "what",
        "msgs/s (best)",
        "runs",
        "vs identity",
        "target",
        "verdict",
        "CPU µs/msg",
        "CPU vs identity",
        "timed at",
    ],
    "profile": ["stage", "part", "µs/msg"],
    "latency": [
        "run",
        "commit s",
        "overrides",
        "offered/s",
        "measured/missing",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "p99 <= 50 ms",
        "per stage p50/p99 ms",
        "cores busy",
    ],
}


def _table_text(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def _table_md(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows])


def _sections(report: Report) -> list[tuple[str, str, list[list[str]]]]:
    return [
        (
            f"Throughput (N={report.n:,}, best of {report.repeat} run(s), fresh broker per run)",
            "throughput",
            _throughput_rows(report),
        ),
        (
            f"Where a normalize / decide message's time goes, µs/msg (tight loop: {report.profile_n:,} msgs)",
            "profile",
            _profile_rows(report),
        ),
        (
            "End-to-end latency, relay frame -> trade result readable (read_committed)",
            "latency",
            _latency_rows(report),
        ),
    ]


def render_text(report: Report) -> str:
    """The console form: one table per section."""
    parts = [f"{title}\n{_table_text(_HEADERS[key], rows)}" for title, key, rows in _sections(report) if rows]
    for profile in report.profiles:
        top = [
            [
                row["function"][:70],
                str(row["calls"]),
                f"{row['tottime_us_per_msg']:.2f}",
                f"{row['cumtime_us_per_msg']:.2f}",
            ]
            for row in profile.top
        ]
        parts.append(
            f"cProfile top functions of the {profile.stage} handler (µs/msg, profiler overhead included)\n"
            + _table_text(["function", "calls", "tottime", "cumtime"], top)
        )
    return "\n\n".join(parts)


def render_markdown(report: Report, method: str) -> str:
    """reports/bench.md: the figures, verdicts, machine, method and how to reproduce."""
    out = ["# doran pipeline benchmark", ""]
    for title, key, rows in _sections(report):
        if rows:
            out += [f"## {title}", "", _table_md(_HEADERS[key], rows), ""]
    verdicts = [
        [name, f"{v['measured']:.2f}", f"{v['target']:g}", "met" if v["met"] else "MISSED"]
        for name, v in report.verdicts().items()
    ]
    out += ["## Targets", "", _table_md(["target", "measured", "wanted", "verdict"], verdicts), ""]
    out += [
        "## Machine",
        "",
        "```",
        json.dumps(report.machine | {"settings": report.settings}, indent=2),
        "```",
        "",
    ]
    out += ["## Method", "", method.strip(), "", "## Reproduce", "", f"`{report.reproduce}`", ""]
    return "\n".join(out)


def write_reports(report: Report, reports_dir: Path, method: str) -> tuple[Path, Path]:
    """Write bench.json and bench.md into reports_dir; returns their paths."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    as_json, as_md = reports_dir / "bench.json", reports_dir / "bench.md"
    as_json.write_text(json.dumps(report.as_json(), indent=2, default=str) + "\n")
    as_md.write_text(render_markdown(report, method))
    return as_json, as_md
