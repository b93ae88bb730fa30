"""The relay's guaranteed delivery of quote_status, as its docs describe it (early access): a solver that
connects with `?instance_id=<id>` and subscribes to quote_status with the guaranteed flag gets a server-side
queue; statuses published while no connection of that instance is subscribed wait there (the relay keeps
them 7 days) and are replayed, in order, when one subscribes again.

How the relay learns that a status was delivered is unverified; here a status counts as delivered once
written to an open subscribed connection of its instance, and a queue replays each status once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlsplit

__all__ = ["StatusQueues", "instance_id_of"]


def instance_id_of(path: str) -> str | None:
    """The `instance_id` query parameter of a websocket request path, if any."""
    values = parse_qs(urlsplit(path).query).get("instance_id")
    return values[-1] if values else None


class StatusQueues:
    """One queue of held statuses per instance id, created by its first guaranteed subscription."""

    def __init__(self) -> None:
        self._queues: dict[str, list[dict[str, str]]] = {}

    def subscribe(self, instance_id: str) -> list[dict[str, str]]:
        """Open (or find) the instance's queue; the statuses held for it, in order, now handed over."""
        held = self._queues.setdefault(instance_id, [])
        self._queues[instance_id] = []
        return held

    def hold(self, data: Mapping[str, str], online: Iterable[str]) -> int:
        """Hold `data` for every instance with a queue and no `online` connection; for how many."""
        away = [instance for instance in self._queues if instance not in set(online)]
        for instance in away:
            self._queues[instance].append(dict(data))
        return len(away)

    def held(self, instance_id: str) -> int:
        """How many statuses wait for `instance_id`."""
        return len(self._queues.get(instance_id, ()))
