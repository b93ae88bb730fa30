"""A recording, Confluent-compatible registry on loopback per test (see registry_server.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "doran_tests_registry_server", Path(__file__).with_name("registry_server.py")
)
assert _spec is not None
assert _spec.loader is not None
registry_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = registry_server  # dataclasses resolve their module by name
_spec.loader.exec_module(registry_server)


@pytest.fixture(autouse=True)
def _no_registry_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials come only from what a test sets, never from the developer's shell."""
    monkeypatch.delenv("DORAN_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("DORAN_REGISTRY_PASSWORD", raising=False)


@pytest.fixture
def registry() -> Any:
    """The fake registry's state: subjects, configs, recorded requests and the knobs tests turn."""
    return registry_server.FakeRegistry()


@pytest.fixture
def registry_url(registry: Any) -> Iterator[str]:
    """Base URL of the fake registry, served on a free 127.0.0.1 port for the test's duration."""
    with registry_server.running_registry(registry) as url:
        yield url
