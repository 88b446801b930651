"""Reading topics directly, as an outside observer (no consumer group, nothing committed)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from schemas import TOPIC_CHILDREN, TOPIC_DECISIONS, TOPIC_OUTCOMES, TOPIC_SUBMITTED, queue_topic
from schemas.enums import Service
from services.common.broker import group_lag
from services.common.settings import Settings


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def read_events(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in await read_topic(bootstrap, topic)]


async def eventually(check: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.25) -> Any:
    """Await `check()` (sync or async) until it returns a truthy value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")


async def produce_raw(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes]],
                      headers: list[tuple[str, bytes]] | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


GROUP_TOPICS = {
    "triage": [TOPIC_SUBMITTED], "intake": [TOPIC_DECISIONS, TOPIC_OUTCOMES], "dsr": [TOPIC_DECISIONS, TOPIC_OUTCOMES],
    **{f"worklists.{s.value}": [queue_topic(s)] for s in Service}, "worklists.outcomes": [TOPIC_OUTCOMES],
    "dsr.children": [TOPIC_CHILDREN], "worklists.children": [TOPIC_CHILDREN],
}


async def lag(bootstrap: str, prefix: str, groups: list[str] | None = None) -> int:
    """Records not yet committed by every consumer group of the system (the committed offsets, as
    each consumer would resume from them)."""
    return sum((await lags(bootstrap, prefix, groups)).values())


async def lags(bootstrap: str, prefix: str, groups: list[str] | None = None) -> dict[str, int]:
    """Records not yet committed, by consumer group (the services' own measure, `group_lag`)."""
    settings = Settings(kafka_bootstrap_servers=bootstrap, kafka_group_prefix=prefix)
    return {group: sum([await group_lag(settings, group, topic) for topic in topics])
            for group, topics in GROUP_TOPICS.items() if groups is None or group in groups}
