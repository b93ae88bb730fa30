"""The benchmark's outputs: a console table per section, reports/bench.json and reports/bench.md."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from benchmarks._hops import HOPS
from benchmarks._latency import LatencyRun
from benchmarks._report import (
    LATENCY_RATE,
    LATENCY_TARGET_P99_MS,
    SEARCH_BOUND_P99_MS,
    TARGETS,
    Report,
    Verdict,
)

__all__ = ["render_markdown", "render_text", "write_reports"]

Table = tuple[list[str], list[list[str]]]

_OVERHEAD_LABELS = (
    ("stage_us", "stage on the broker, wall (1 / best rate)"),
    ("quix_overhead_us", "Quix overhead = stage - handler (wall)"),
    ("stage_cpu_us", "stage on the broker, CPU"),
    ("identity_cpu_us", "  Quix floor (identity app), CPU"),
    ("wiring_cpu_us", "  doran stage wiring (shell - identity), CPU"),
    ("handler_in_stage_cpu_us", "  handler inside the stage (stage - shell), CPU"),
)
# What each hop covers, for the reader of the per-hop table (benchmarks/_hops.py has the clocks).
_HOP_SPANS = {
    "ingest": "relay sent the event -> ingest produced the raw quote",
    "normalize": "raw quote produced -> demand readable",
    "decide": "demand readable -> command readable",
    "execute": "command readable -> the relay received the quote_response",
    "(result)": "after the endpoint: response received -> executor produced the trade result",
}


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return "∞" if math.isinf(value) else f"{value:,.0f}"


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _figure(verdict: Verdict) -> str:
    if verdict.measured is None:
        return "none"
    if verdict.unit == "x":
        return f"{verdict.measured:.2f}"
    if verdict.unit == "s":
        return f"{verdict.measured:.2f} s"
    return f"{_ms(verdict.measured)} {verdict.unit}"


def _verdict_word(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def _targets(report: Report) -> Table:
    rows = [[name, _figure(v), v.wanted, _verdict_word(v.met)] for name, v in report.verdicts().items()]
    if report.search is not None and report.search.note:
        rows.append(["  (rate search)", report.search.note, "", ""])
    return ["target", "measured", "wanted", "verdict"], rows


def _throughput(report: Report) -> Table:
    headers = [
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
    ]
    rows = []
    for name, runs in report.throughput.items():
        target = TARGETS.get(name)
        ratio = report.ratio(name)
        rows.append(
            [
                name,
                f"{report.rate(name):,.0f}",
                " ".join(f"{t.rate:,.0f}" for t in runs),
                f"{ratio:.2f}",
                "" if target is None else f">= {target:.2f}",
                "" if target is None else _verdict_word(ratio >= target),
                f"{report.cpu_us(name):.0f}",
                f"{report.cpu_ratio(name):.2f}",
                f"{report.peak_rss_mib(name):.0f}",
                runs[0].timed_at,
            ]
        )
    return headers, rows


def _profile(report: Report) -> Table:
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
    return ["stage", "part", "µs/msg"], rows


def _runs(report: Report) -> list[tuple[str, LatencyRun, float | None]]:
    """Every latency run with the bound its verdict is against (None: a what-if, no verdict)."""
    runs: list[tuple[str, LatencyRun, float | None]] = []
    if report.headline is not None:
        runs.append(("headline", report.headline, LATENCY_TARGET_P99_MS))
    if report.search is not None:
        runs += [("rate search", run, SEARCH_BOUND_P99_MS) for run in report.search.runs]
    runs += [("what-if, NOT the defaults", run, None) for run in report.what_if]
    return runs


def _latency(report: Report) -> Table:
    headers = [
        "run",
        "offered/s",
        "sent/s",
        "quotes (warm-up)",
        "answered/missing",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "p99 bound",
        "verdict",
        "per hop p50/p99 ms",
        "relay verdicts",
    ]
    rows = []
    for kind, run, bound in _runs(report):
        e = run.latency
        what_if = " ".join(f"{k}={v}" for k, v in run.what_if.items())
        rows.append(
            [
                f"{kind}: {run.label}" + (f" [{what_if}]" if what_if else ""),
                f"{run.offered_rate:,.0f}",
                f"{run.achieved_rate:,.0f}",
                f"{run.quotes:,} ({run.warmup:,})",
                f"{run.measured:,}/{run.missing:,}",
                _ms(e.p50_ms),
                _ms(e.p90_ms),
                _ms(e.p99_ms),
                _ms(e.max_ms),
                "-" if bound is None else f"<= {bound:g}",
                "-" if bound is None else _verdict_word(e.p99_ms <= bound),
                " ".join(f"{hop} {_ms(p.p50_ms)}/{_ms(p.p99_ms)}" for hop, p in run.hops.items()),
                " ".join(f"{verdict}: {n:,}" for verdict, n in sorted(run.verdicts.items())),
            ]
        )
    return headers, rows


def _hops(report: Report) -> Table:
    run = report.headline
    rows = []
    if run is not None:
        for hop in HOPS:
            p = run.hops.get(hop)
            if p is not None:
                row = [
                    hop,
                    _HOP_SPANS.get(hop, ""),
                    _ms(p.p50_ms),
                    _ms(p.p90_ms),
                    _ms(p.p99_ms),
                    _ms(p.max_ms),
                ]
                rows.append(row)
    return ["hop", "from -> to", "p50 ms", "p90 ms", "p99 ms", "max ms"], rows


def _processes(report: Report) -> Table:
    run = report.headline
    rows = []
    if run is not None:
        for name, cores in run.cores_used.items():
            rows.append(
                [
                    name,
                    f"{cores:.2f}",
                    _number(run.cpu_us_per_quote.get(name, math.nan)),
                    _number(run.peak_rss_mib.get(name, math.nan)),
                ]
            )
        if report.relay_judge_us is not None:
            judged = f"{report.relay_judge_us:,.0f}"
            rows.append(["  of which judging one quote_response (timed alone)", "", judged, ""])
    return ["process", "cores busy", "CPU µs/quote", "peak RSS MiB"], rows


def _state(report: Report) -> Table:
    rows = [
        [name, f"{size.bytes:,}", f"{size.commands:,}", f"{size.bytes_per_command:,.0f}"]
        for name, size in report.state_sizes().items()
    ]
    return ["after", "state file + WAL, bytes", "commands in it", "bytes per command"], rows


def _recovery(report: Report) -> Table:
    restored = report.recovery
    if restored is None:
        return ["commands", "changelog records", "partitions", "seconds", "commands/s"], []
    row = [
        f"{restored.commands:,}",
        f"{restored.changelog_records:,}",
        str(restored.partitions),
        f"{restored.seconds:.2f}",
        f"{restored.commands_per_s:,.0f}",
    ]
    return ["commands", "changelog records", "partitions (side by side)", "seconds", "commands/s"], [row]


def _census(report: Report) -> Table:
    run = report.headline
    rows = [[outcome, f"{n:,}"] for outcome, n in report.quote_census.items()]
    if run is not None:
        rows.append(
            [
                f"the {run.label} run: commands / declined (decide's counts)",
                f"{run.commands:,} / {run.declined:,} of {run.quotes:,} quotes sent",
            ]
        )
    return ["where a recorded quote stops under the default policy", "quotes"], rows


def _sections(report: Report) -> list[tuple[str, Table]]:
    headline = report.headline
    at = f"{headline.label}, " if headline is not None else ""
    return [
        ("Targets (issues 9 and 16), all measured in this run with the defaults", _targets(report)),
        (
            f"Throughput (N={report.n:,}, best of {report.repeat} run(s), fresh broker and process per run)",
            _throughput(report),
        ),
        (
            f"Where a normalize / decide message's time goes, µs/msg (tight loop: {report.profile_n:,} msgs)",
            _profile(report),
        ),
        (
            "End-to-end latency: relay quote event sent -> quote_response received by the relay "
            f"(defaults; {LATENCY_RATE:,.0f}/s headline, then the rate search)",
            _latency(report),
        ),
        (f"Where a quote's time goes, per hop ({at}quotes after the warm-up)", _hops(report)),
        (f"What each process used ({at}first quote sent to the run's end)", _processes(report)),
        ("The executor's state on disk, bytes per command (issue 10)", _state(report)),
        ("Restoring the executor's state from its changelog (issue 16)", _recovery(report)),
        ("The quotes of the latency runs (samples/relay-quotes.jsonl)", _census(report)),
    ]


def _table_text(table: Table) -> str:
    headers, rows = table
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def _table_md(table: Table) -> str:
    headers, rows = table
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows])


def render_text(report: Report) -> str:
    """The console form: one table per section, then cProfile's top functions of each handler."""
    parts = [f"{title}\n{_table_text(table)}" for title, table in _sections(report) if table[1]]
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
            + _table_text((["function", "calls", "tottime", "cumtime"], top))
        )
    return "\n\n".join(parts)


def render_markdown(report: Report, method: str) -> str:
    """reports/bench.md: the verdicts, the figures, machine and settings, method and how to reproduce."""
    out = ["# doran pipeline benchmark", ""]
    for title, table in _sections(report):
        if table[1]:
            out += [f"## {title}", "", _table_md(table), ""]
    out += [
        "## Machine and settings",
        "",
        "```",
        json.dumps(report.machine | {"settings": report.settings}, indent=2),
        "```",
        "",
    ]
    out += ["## Method", "", method.strip(), "", "## Reproduce", "", f"`{report.reproduce}`", ""]
    return "\n".join(out)


def _plain(value: Any) -> Any:
    """JSON has no infinity or NaN: an unanswered p99 is "inf", a figure not measured is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def write_reports(report: Report, reports_dir: Path, method: str) -> tuple[Path, Path]:
    """Write bench.json and bench.md into reports_dir; returns their paths."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    as_json, as_md = reports_dir / "bench.json", reports_dir / "bench.md"
    as_json.write_text(json.dumps(_plain(report.as_json()), indent=2, default=str, allow_nan=False) + "\n")
    as_md.write_text(render_markdown(report, method))
    return as_json, as_md
