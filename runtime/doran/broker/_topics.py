"""Create the registry's topics on a Kafka-protocol broker, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from doran.broker.errors import TopicSetupError

if TYPE_CHECKING:
    from quixstreams.models.topics import TopicConfig

__all__ = ["TopicShape", "create_topics", "quix_topic_config", "topic_config"]


class TopicShape(Protocol):
    """What topic creation needs of a registry entry (doran.contracts.TopicSpec satisfies it)."""

    @property
    def name(self) -> str: ...
    @property
    def partitions(self) -> int: ...
    @property
    def replication_factor(self) -> int: ...
    @property
    def cleanup_policy(self) -> str: ...
    @property
    def retention_ms(self) -> int: ...


def topic_config(spec: TopicShape) -> dict[str, str]:
    """The broker-side topic config a registry entry declares (cleanup.policy, retention.ms)."""
    return {"cleanup.policy": spec.cleanup_policy, "retention.ms": str(spec.retention_ms)}


def quix_topic_config(spec: TopicShape) -> TopicConfig:
    """The registry entry as a Quix Streams TopicConfig, so `app.topic(..., config=...)` creates it right."""
    from quixstreams.models.topics import TopicConfig

    return TopicConfig(
        num_partitions=spec.partitions,
        replication_factor=spec.replication_factor,
        extra_config=topic_config(spec),
    )


def _as_specs(specs: Mapping[str, TopicShape] | Iterable[TopicShape]) -> list[TopicShape]:
    if isinstance(specs, Mapping):
        return list(specs.values())
    return list(specs)


def create_topics(
    address: str,
    specs: Mapping[str, TopicShape] | Iterable[TopicShape],
    *,
    timeout_s: float = 15.0,
) -> list[str]:
    """Create every topic of `specs` missing on the broker at `address`; returns the names it created.

    Existing topics are left alone but must have at least the declared partitions.
    """
    wanted = _as_specs(specs)
    admin = AdminClient({"bootstrap.servers": address, "log_level": 0})
    try:
        existing = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as exc:
        raise TopicSetupError(f"Cannot list topics on {address}: {exc}; is the broker running?") from exc
    missing = [spec for spec in wanted if spec.name not in existing]
    for spec in wanted:
        have = len(existing[spec.name].partitions) if spec.name in existing else spec.partitions
        if have < spec.partitions:
            raise TopicSetupError(
                f"Topic {spec.name!r} exists on {address} with {have} partitions; "
                f"the registry declares {spec.partitions}. Delete it or add partitions."
            )
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                config=topic_config(spec),
            )
            for spec in missing
        ],
        operation_timeout=timeout_s,
        request_timeout=timeout_s,
    )
    created: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            # Another process created it between our listing and our request: that is the goal reached.
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise TopicSetupError(f"Cannot create topic {name!r} on {address}: {exc}") from exc
        created.append(name)
    return sorted(created)
