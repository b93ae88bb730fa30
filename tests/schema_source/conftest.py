from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def schemas_copy(tmp_path: Path) -> Path:
    """A private copy of schemas/ a test may break."""
    target = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", target)
    return target
