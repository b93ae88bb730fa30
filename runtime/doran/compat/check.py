"""`doran contracts check --against REF`: compare every topic of schemas/ with a previous version."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TextIO

from doran.compat.loader import TopicSchemas, extract_schemas_at_ref, load_topic_schemas
from doran.compat.render import render_check
from doran.compat.report import CompatReport, compare

__all__ = ["run_check"]


def _previous(against: str, repo_root: Path) -> TopicSchemas:
    for candidate in (Path(against), repo_root / against):
        if candidate.is_dir():
            return load_topic_schemas(candidate, against)
    with tempfile.TemporaryDirectory(prefix="doran-compat-") as tmp:
        return load_topic_schemas(extract_schemas_at_ref(repo_root, against, Path(tmp)), against)


def run_check(against: str, *, repo_root: Path, out: TextIO) -> int:
    """Print the gate's table for schemas/ of repo_root against a git ref or folder; 1 if anything breaks.

    A topic absent from the previous version is reported as added (not breaking); a topic that
    disappeared is breaking. Each topic is judged under its compatibility in the current topics.json.
    """
    current = load_topic_schemas(repo_root / "schemas", "working tree schemas/")
    previous = _previous(against, repo_root)
    reports: list[CompatReport] = []
    added: list[str] = []
    for topic, schema in current.schemas.items():
        if topic not in previous.schemas:
            added.append(topic)
            continue
        reports.append(compare(previous.schemas[topic], schema, current.compatibility[topic], topic=topic))
    removed = [(t, previous.compatibility[t]) for t in previous.schemas if t not in current.schemas]
    render_check(reports, added, removed, current="schemas/ of the working tree", previous=against, out=out)
    return 1 if removed or any(r.breaking for r in reports) else 0
