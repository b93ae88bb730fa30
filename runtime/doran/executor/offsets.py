"""Whether the executor's consumer group has committed offsets: the input of check_startup.

Asked of the broker directly (OffsetFetch, no group join), before the Quix app starts consuming.
"""

from __future__ import annotations

from confluent_kafka import Consumer, KafkaException, TopicPartition

from doran.contracts import CMD_EXECUTE_TRADE
from doran.executor.errors import CommittedOffsetsUnknownError

__all__ = ["committed_offsets", "committed_offsets_exist", "executor_group"]


def executor_group(consumer_group_prefix: str) -> str:
    """The executor's consumer group, also its transactional.id: `<prefix>.execute`."""
    return f"{consumer_group_prefix}.execute"


def committed_offsets_exist(
    bootstrap_servers: str, group_id: str, topic: str = CMD_EXECUTE_TRADE.name, *, timeout_s: float = 10.0
) -> bool:
    """Whether `group_id` committed an offset on any partition of `topic`; raises if the broker cannot say."""
    return bool(committed_offsets(bootstrap_servers, group_id, topic, timeout_s=timeout_s))


def committed_offsets(
    bootstrap_servers: str, group_id: str, topic: str = CMD_EXECUTE_TRADE.name, *, timeout_s: float = 10.0
) -> dict[int, int]:
    """The offset `group_id` committed on each partition of `topic` that has one.

    A topic that does not exist yet has no committed offsets. Unreachable broker: the executor must
    not guess, so CommittedOffsetsUnknownError.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            return {}
        partitions = [TopicPartition(topic, partition) for partition in metadata.partitions]
        committed = consumer.committed(partitions, timeout=timeout_s)
    except KafkaException as exc:
        raise CommittedOffsetsUnknownError(
            f"Cannot read the committed offsets of group {group_id!r} on {topic!r} at {bootstrap_servers}: "
            f"{exc}. The executor does not start without knowing whether it consumed commands before."
        ) from exc
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in committed if tp.offset >= 0}
