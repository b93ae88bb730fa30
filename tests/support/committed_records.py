"""What a Kafka read_committed reader would see of a topic on tansu, which serves an aborted
transaction's records as committed once it is aborted (its Fetch never lists aborted transactions).

`committed_records` finds the aborted records itself, by the Kafka rule (KIP-98): a transactional
producer's records are aborted when its next control record is an ABORT marker. It reads each
partition's record batches with a raw Fetch (v4) request, and drops those offsets from what
librdkafka's read_committed consumer returned.
"""

from __future__ import annotations

import socket
import struct
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

__all__ = ["aborted_offsets", "committed_records", "open_transaction"]

_CONTROL_BATCH, _TRANSACTIONAL, _COMPRESSION = 0x20, 0x10, 0x07
_ABORT = 0


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection mid-response")
        data += chunk
    return bytes(data)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    shift = raw = 0
    while True:
        byte = data[position]
        position += 1
        raw |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), position


def _fetch(
    broker: str, topic: str, partition: int, offset: int, max_bytes: int = 32 << 20
) -> tuple[int, int, bytes]:
    """One Fetch v4, read_uncommitted (every batch, markers included): high watermark, last stable offset,
    and the raw record-batch bytes."""
    name, client = topic.encode(), b"doran-committed-records"
    request = struct.pack(">hhih", 1, 4, 1, len(client)) + client  # Fetch v4, correlation 1
    request += struct.pack(">iiiib", -1, 50, 1, 64 << 20, 0)
    request += struct.pack(">ih", 1, len(name)) + name + struct.pack(">iiqi", 1, partition, offset, max_bytes)
    host, port = broker.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _exactly(sock, 4))
        data = _exactly(sock, size)
    position = 8  # correlation id, throttle time
    (name_length,) = struct.unpack_from(">h", data, position + 4)  # after the topic count
    position += 4 + 2 + name_length + 4  # topic count, name, partition count
    _, error, high_watermark, last_stable, aborted = struct.unpack_from(">ihqqi", data, position)
    assert error == 0, f"Fetch {topic}[{partition}]@{offset} failed with Kafka error code {error}"
    position += 26 + 16 * max(aborted, 0)
    (length,) = struct.unpack_from(">i", data, position)
    return high_watermark, last_stable, data[position + 4 : position + 4 + max(length, 0)]


def open_transaction(broker: str, topic: str, partitions: int) -> bool:
    """Whether a transaction with records in `topic` is open (its last stable offset is held back)."""
    for partition in range(partitions):
        high_watermark, last_stable, _ = _fetch(broker, topic, partition, 0, max_bytes=1)  # marks only
        if last_stable < high_watermark:
            return True
    return False


def _batches(records: bytes) -> Iterator[tuple[int, int, int, int, int | None]]:
    """(base offset, last offset delta, attributes, producer id, control type or None) of each whole batch."""
    position = 0
    while position + 12 <= len(records):
        base, length = struct.unpack_from(">qi", records, position)
        if position + 12 + length > len(records):
            return  # a batch cut off by the response size: fetched again from its base offset
        _, magic, _, attributes, last_delta, _, _, producer, _, _, _ = struct.unpack_from(
            ">ibIhiqqqhii", records, position + 12
        )
        assert magic == 2, f"record batch magic {magic}: only v2 batches carry transactions"
        control = None
        if attributes & _CONTROL_BATCH:
            cursor = position + 61  # the first record, after the batch header
            _, cursor = _varint(records, cursor)  # record length
            cursor += 1  # record attributes
            for _ in range(3):  # timestamp delta, offset delta, key length
                _, cursor = _varint(records, cursor)
            (control,) = struct.unpack_from(">h", records, cursor + 2)  # key = version, type
        yield base, last_delta, attributes, producer, control
        position += 12 + length


def aborted_offsets(broker: str, topic: str, partitions: int) -> set[tuple[int, int]]:
    """(partition, offset) of every record of `topic` written in a transaction that was aborted."""
    aborted: set[tuple[int, int]] = set()
    for partition in range(partitions):
        offset, pending = 0, defaultdict[int, list[int]](list)
        while batches := list(_batches(_fetch(broker, topic, partition, offset)[2])):
            for base, last_delta, attributes, producer, control in batches:
                assert not attributes & _COMPRESSION, "a compressed batch: this reader does not decompress"
                if control is not None:
                    ended = pending.pop(producer, [])
                    if control == _ABORT:
                        aborted.update((partition, o) for o in ended)
                elif attributes & _TRANSACTIONAL:
                    pending[producer].extend(range(base, base + last_delta + 1))
                offset = base + last_delta + 1
    return aborted


def committed_records(broker: str, topic: str) -> list[Message]:
    """Every record of `topic` a Kafka read_committed reader returns: librdkafka's, minus tansu's aborted."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages: list[Message] = []
        last_seen, deadline = time.monotonic(), time.monotonic() + 120
        while time.monotonic() - last_seen < 2 and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.2):
                assert message.error() is None, message.error()
                messages.append(message)
                last_seen = time.monotonic()
    finally:
        consumer.close()
    aborted = aborted_offsets(broker, topic, len(partitions))
    return [m for m in messages if (m.partition(), m.offset()) not in aborted]
