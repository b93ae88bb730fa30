"""The benchmark's outputs: a console table per section, reports/bench.json and reports/bench.md."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks._report import LATENCY_TARGET_P99_MS, TARGETS, Report

__all__ = ["render_markdown", "render_text", "write_reports"]

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
        "peak RSS MiB",
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
        f"p99 <= {LATENCY_TARGET_P99_MS:g} ms",
        "per stage p50/p99 ms",
        "cores busy",
        "peak RSS MiB",
    ],
}
_OVERHEAD_LABELS = (
    ("stage_us", "stage on the broker, wall (1 / best rate)"),
    ("quix_overhead_us", "Quix overhead = stage - handler (wall)"),
    ("stage_cpu_us", "stage on the broker, CPU"),
    ("identity_cpu_us", "  Quix floor (identity app), CPU"),
    ("wiring_cpu_us", "  doran stage wiring (shell - identity), CPU"),
    ("handler_in_stage_cpu_us", "  handler inside the stage (stage - shell), CPU"),
)


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
                f"{report.peak_rss_mib(name):.0f}",
                runs[0].timed_at,
            ]
        )
    return rows


def _profile_rows(report: Report) -> list[list[str]]:
    rows = []
    for profile in report.profiles:
        split = report.overhead(profile)
        rows.append(
            [profile.stage, "handler, tight loop (parts below timed one by one)", f"{profile.handler_us:.1f}"]
        )
        rows += [[profile.stage, f"  {part}", f"{us:.1f}"] for part, us in profile.parts_us.items()]
        rows += [
            [profile.stage, label, f"{split[key]:.1f}"] for key, label in _OVERHEAD_LABELS if key in split
        ]
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
                " ".join(f"{name} {mib:.0f}" for name, mib in r.peak_rss_mib.items()),
            ]
        )
    return rows


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
            f"Throughput (N={report.n:,}, best of {report.repeat} run(s), fresh broker and process per run)",
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
    """The console form: one table per section, then cProfile's top functions of each handler."""
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
