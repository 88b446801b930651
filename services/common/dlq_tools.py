"""Operating the dead-letter topics: list what is there (never the payloads) and replay records into
their original topic once the cause is fixed. Consumers deduplicate on event_id, so replaying a
record that was in fact processed later changes nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    partition: int
    offset: int
    original_topic: str
    original_partition: str
    original_offset: str
    error: str
    attempts: str
    size: int
    key_hash: str

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"


async def _records(bootstrap: str, topic: str) -> list[tuple[int, int, bytes | None, bytes | None, dict[str, str]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        out = []
        while [tp for tp in parts if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or ())}
                    out.append((r.partition, r.offset, r.key, r.value, headers))
        return out
    finally:
        await consumer.stop()


async def dlq_topics(bootstrap: str) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sorted(t for t in await consumer.topics() if t.endswith(".dlq"))
    finally:
        await consumer.stop()


async def list_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    return [
        DeadLetter(topic, partition, offset, h.get("x-original-topic", "?"), h.get("x-original-partition", "?"),
                   h.get("x-original-offset", "?"), h.get("x-error", ""), h.get("x-attempts", "?"), len(value or b""),
                   hashlib.sha256(key or b"").hexdigest()[:8])
        for partition, offset, key, value, h in await _records(bootstrap, topic)
    ]


async def replay(bootstrap: str, topic: str, ids: set[str] | None = None) -> int:
    """Publish the chosen records (all when `ids` is None) to their original topics, key unchanged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent = 0
    try:
        for partition, offset, key, value, headers in await _records(bootstrap, topic):
            if ids is not None and f"{partition}:{offset}" not in ids:
                continue
            original = headers.get("x-original-topic")
            if not original:
                continue
            keep = [(k, v.encode()) for k, v in headers.items() if not k.startswith("x-")]
            replayed_from = ("x-replayed-from", f"{topic}:{partition}:{offset}".encode())
            await producer.send_and_wait(original, value, key=key, headers=[*keep, replayed_from])
            sent += 1
    finally:
        await producer.stop()
    return sent
