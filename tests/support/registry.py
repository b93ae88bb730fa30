"""A schema registry that holds this build's schemas, for stages under test to look their ids up in.

The devkit's registry (doran.devkit.schema_registry: no registry server can run on this machine),
started once per test process and published to as `doran schemas publish` does.
"""

from __future__ import annotations

import atexit
import functools
import threading
from contextlib import ExitStack
from typing import TypeVar

from doran.contracts import TOPICS, Envelope
from doran.devkit.schema_registry import published_registry as devkit_registry
from doran.publish import stage_framing
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.wire import Framing, Headers

__all__ = ["produced_event", "published_registry", "registry_framing"]

E = TypeVar("E", bound=Envelope)


_lock = threading.Lock()
_running = ExitStack()
_url: str | None = None
atexit.register(_running.close)


def published_registry() -> str:
    """URL of a registry holding every topic's schema (`doran schemas publish`), started once per process."""
    global _url
    with _lock:
        if _url is None:
            _url = _running.enter_context(devkit_registry())
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
