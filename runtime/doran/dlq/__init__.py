"""Repair from the dead-letter topic: re-feed dead letters to where they came from, after a fix.

- `prepare_replay(settings, selection, ...)`  read dlq.doran and earlier replays: the plan, nothing written
- `execute_replay(prepared, ...)`             produce the plan's records, each marked with REPLAY_HEADER
- `plan_replay` / `replay_records`            the pure core: dead letters -> plan -> records
- `render_plan` / `render_counts`             the plan and its reconciled counts, as text
"""

from doran.dlq.errors import ReplayError
from doran.dlq.plan import REPLAY_HEADER, Selection, plan_replay, replay_records
from doran.dlq.replay import execute_replay, prepare_replay
from doran.dlq.report import render_counts, render_plan

__all__ = [
    "REPLAY_HEADER",
    "ReplayError",
    "Selection",
    "execute_replay",
    "plan_replay",
    "prepare_replay",
    "render_counts",
    "render_plan",
    "replay_records",
]
