"""What happens to a stage process, logged at INFO as one structured line each: `event=<name> stage=<stage>
key=value ...`, so an operator can grep a pod's log for its story (started, assigned, ready, broker lost,
back, stopping, stopped) and a log pipeline can parse it.

Every stage logs through this one mechanism. Values are rendered bare when they are plain tokens and as
JSON strings otherwise; a `SecretStr` is never rendered, whatever field it is passed as.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Literal, get_args

from pydantic import SecretStr

__all__ = ["EVENTS", "Lifecycle", "LifecycleEvent", "Value", "configure_logging", "lifecycle_line"]

LifecycleEvent = Literal[
    "start",
    "assigned",
    "restored",
    "recovered",
    "revoked",
    "ready",
    "unready",
    "broker_lost",
    "broker_back",
    "relay_connected",
    "relay_lost",
    "stopping",
    "stopped",
    "failed",
]
EVENTS: tuple[LifecycleEvent, ...] = get_args(LifecycleEvent)
Value = str | int | float | bool | None | SecretStr | Iterable[str]

_BARE = re.compile(r"^[A-Za-z0-9_.:/@+,\[\]-]+$")
_FORMAT = "[%(asctime)s] [%(levelname)s] [%(name)s] : %(message)s"


def _render(value: Value) -> str:
    if isinstance(value, SecretStr):
        return '"[redacted]"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, int | float):
        return str(value)
    text = value if isinstance(value, str) else ",".join(value)
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


def lifecycle_line(event: LifecycleEvent, stage: str, fields: dict[str, Value]) -> str:
    """The text of one lifecycle line: `event=... stage=...` then the fields in the order given."""
    if event not in EVENTS:
        raise ValueError(f"unknown lifecycle event {event!r}; one of {', '.join(EVENTS)}")
    parts = [f"event={event}", f"stage={_render(stage)}"]
    parts += [f"{key}={_render(value)}" for key, value in fields.items()]
    return " ".join(parts)


class Lifecycle:
    """The lifecycle log of one stage process (logger `doran.lifecycle`)."""

    def __init__(self, stage: str, logger: logging.Logger | None = None) -> None:
        self.stage = stage
        self._logger = logger or logging.getLogger("doran.lifecycle")

    def log(self, event: LifecycleEvent, **fields: Value) -> None:
        """Log `event` at INFO (`failed` at ERROR), with `fields` as key=value pairs."""
        level = logging.ERROR if event == "failed" else logging.INFO
        self._logger.log(level, lifecycle_line(event, self.stage, fields))


def configure_logging() -> None:
    """A stage process's logging: doran's loggers at INFO, everything else at WARNING, on stdout.

    stderr is left to the one line a failing `doran` command ends with (`error: ...`), so a script or
    an operator reading it sees only why the stage stopped; Kubernetes collects both streams. Quix
    Streams configures its own `quixstreams` logger; this leaves it alone. Does nothing to a root
    logger that already has a handler (a test runner's, an embedding program's).
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    logging.getLogger("doran").setLevel(logging.INFO)
