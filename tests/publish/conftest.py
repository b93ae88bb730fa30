"""A recording, Confluent-compatible registry on loopback per test (`doran.devkit.schema_registry`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from doran.devkit.ports import free_port
from doran.devkit.schema_registry import FakeRegistry, running_registry


@pytest.fixture(autouse=True)
def _no_registry_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials come only from what a test sets, never from the developer's shell."""
    monkeypatch.delenv("DORAN_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("DORAN_REGISTRY_PASSWORD", raising=False)


@pytest.fixture
def registry() -> FakeRegistry:
    """The fake registry's state: subjects, configs, recorded requests and the knobs tests turn."""
    return FakeRegistry()


@pytest.fixture
def registry_url(registry: FakeRegistry) -> Iterator[str]:
    """Base URL of the fake registry, served on a free 127.0.0.1 port for the test's duration."""
    with running_registry(registry) as url:
        yield url


@pytest.fixture
def unused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
