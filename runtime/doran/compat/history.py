"""The published versions a check compares with, oldest first: git tags, git refs, or folders.

`--history PATTERN` takes every git tag matching the pattern, oldest first by creation date;
each `--against` (a git ref, or a folder: a schema source tree or an export bundle per published
version) follows, in the order given. Non-transitive modes compare with the newest version that has
the topic; transitive modes with every version that has it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from doran.compat.errors import CompatError
from doran.compat.loader import TopicSchemas, extract_schemas_at_ref, git_tags, load_topic_schemas

__all__ = ["load_history", "load_version"]


def load_version(source: str, repo_root: Path) -> TopicSchemas:
    """One previous version: a folder (as given, or relative to repo_root) or a git ref."""
    for candidate in (Path(source), repo_root / source):
        if candidate.is_dir():
            return load_topic_schemas(candidate, source)
    with tempfile.TemporaryDirectory(prefix="doran-compat-") as tmp:
        return load_topic_schemas(extract_schemas_at_ref(repo_root, source, Path(tmp)), source)


def load_history(against: Sequence[str], pattern: str | None, repo_root: Path) -> list[TopicSchemas]:
    """Every version to compare with, oldest first: tags matching pattern, then each `against`."""
    sources: list[str] = []
    if pattern is not None:
        tags = git_tags(repo_root, pattern)
        if not tags:
            raise CompatError(pattern, f"no git tag matches this pattern in {repo_root}")
        sources += tags
    sources += [source for source in against if source not in sources]
    if not sources:
        raise CompatError("check", "nothing to compare with: give --against REF/FOLDER or --history PATTERN")
    return [load_version(source, repo_root) for source in sources]
