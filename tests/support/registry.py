"""A schema registry on 127.0.0.1 for the tests, and one that holds this build's schemas for stages.

The registry is the recording stand-in of tests/publish/registry_server.py (no registry server can
run on this machine); stages under test look their schema ids up in it, as they do in Redpanda's.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import io
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from doran.contracts import TOPICS, Envelope
from doran.publish import publish, stage_framing
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.wire import Framing, Headers

__all__ = ["produced_event", "published_registry", "registry_framing", "registry_server"]

E = TypeVar("E", bound=Envelope)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "doran_tests_registry_server", Path(__file__).parents[1] / "publish" / "registry_server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


registry_server = _load()
_lock = threading.Lock()
_running = ExitStack()
_url: str | None = None
atexit.register(_running.close)


def published_registry() -> str:
    """URL of a registry holding every topic's schema (`doran schemas publish`), started once per process."""
    global _url
    with _lock:
        if _url is None:
            url = _running.enter_context(registry_server.running_registry(registry_server.FakeRegistry()))
            err = io.StringIO()
            assert publish(url, out=io.StringIO(), err=err) == 0, err.getvalue()
            _url = url
        return _url


@functools.cache
def registry_framing() -> Framing:
    """The framing a stage resolves from `published_registry()`, for every topic."""
    return stage_framing(Settings(registry_url=published_registry()), list(TOPICS.values()))


def produced_event(spec: TopicSpec[E], value: bytes | None, headers: Headers | None = None) -> E:
    """The event of a record a doran stage wrote: framed as its topic declares, with the id the
    registry holds its schema under, then valid."""
    framing = registry_framing()
    prefix = framing.prefixes.get(spec.name, b"")
    assert (value or b"").startswith(prefix), (
        f"{spec.name} record not framed with {prefix!r}: {(value or b'')[:8]!r}"
    )
    return framing.decode(spec, value or b"", headers)
