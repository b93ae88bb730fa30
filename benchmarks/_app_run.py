"""What the child process of one throughput measurement does: run its app, report its figures.

Quix apps and ingest are timed here, where they consume; execute is timed by the bench, where its
results become readable, so it only runs until SIGTERM. Every job reports the process's peak RSS.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks._app_process import TIMEOUT_S, AppJob
from benchmarks._apps import QUIX_APPS, TimedMetrics, app_settings, build_app, run_quix_until
from benchmarks._errors import BenchmarkError
from benchmarks._feeds import StreamedRecording
from benchmarks._procfs import own_peak_rss_mib
from benchmarks._stopwatch import Stopwatch
from doran.contracts import RAW_NEAR_INTENTS_QUOTE
from doran.stages.execute import run_execute_stage
from doran.stages.ingest import run_ingest
from doran.stages.metrics import StageMetrics

__all__ = ["main", "run_job"]


def _ingest(job: AppJob, watch: Stopwatch) -> None:
    """Every frame of the recording through `run_ingest` (in this, the main thread), then a check."""
    assert job.recording is not None
    metrics = TimedMetrics("ingest", watch)
    run_ingest(
        app_settings(job.broker, job.run_dir, job.registry),
        job.broker,
        StreamedRecording(job.recording),
        metrics,
    )
    produced = metrics.produced[RAW_NEAR_INTENTS_QUOTE.name]
    if produced != job.expected or metrics.dead_lettered:
        raise BenchmarkError(
            f"ingest produced {produced} quotes from {job.expected} frames "
            f"(dead letters: {dict(metrics.dead_lettered)})"
        )


def _execute(job: AppJob) -> dict[str, Any]:
    """The execute stage as `doran stage execute` runs it, until SIGTERM; its counts for the record."""
    metrics = StageMetrics("execute")
    run_execute_stage(app_settings(job.broker, job.run_dir, job.registry), job.broker, metrics=metrics)
    return metrics.snapshot()


def run_job(job: AppJob) -> dict[str, Any]:
    """Run the job's app and return its figures (rate and CPU only where it is timed here)."""
    if job.app == "execute":
        return {"counts": _execute(job), "peak_rss_mib": own_peak_rss_mib()}
    watch = Stopwatch()
    if job.app == "ingest":
        _ingest(job, watch)
    elif job.app in QUIX_APPS:
        app = build_app(job.app, app_settings(job.broker, job.run_dir, job.registry), watch, job.headers)
        run_quix_until(app, watch, job.expected, timeout_s=TIMEOUT_S)
    else:
        raise BenchmarkError(f"no app called {job.app!r}")
    return {
        "counted": watch.counted,
        "window_s": watch.window_s,
        "rate": watch.rate,
        "cpu_us_per_msg": watch.cpu_us_per_msg,
        "peak_rss_mib": own_peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks._app_run JOB.json`: run the job, write its result.json."""
    job = AppJob.load(Path((argv if argv is not None else sys.argv[1:])[0]))
    job.result_path.write_text(json.dumps(run_job(job)))


if __name__ == "__main__":
    main()
