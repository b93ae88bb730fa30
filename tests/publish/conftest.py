"""A recording, Confluent-compatible registry on loopback per test (see registry_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.registry import registry_server


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


@pytest.fixture
def unused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    from doran.demo.stage_processes import free_port

    return f"http://127.0.0.1:{free_port()}"
