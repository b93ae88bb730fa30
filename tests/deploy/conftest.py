"""Rendered deployment manifests, parsed: kustomize overlays and compose.yaml."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = ("local", "hetzner-k3s")


@cache
def _render(target: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: cannot render kustomize overlays (install the kubectl client)")
    result = subprocess.run(
        [kubectl, "kustomize", str(REPO / "deploy" / target)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize deploy/{target} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@pytest.fixture(scope="session")
def render() -> Callable[[str], tuple[dict[str, Any], ...]]:
    """Render a kustomization under deploy/ (e.g. "base", "overlays/local") with `kubectl kustomize`."""
    return _render


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """compose.yaml, parsed (YAML anchors and merge keys resolved)."""
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
