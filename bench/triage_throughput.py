"""Triage consumer throughput on the embedded broker, against a raw aiokafka consume->produce
passthrough of the same events on the same broker in the same run (target: ratio >= 0.8).

Both read N pre-published events; throughput is N over the span between the first and the last
record each writes (broker timestamps), so group joins do not count."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.common import fresh_events, report
from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED
from services.common.broker import start_broker
from services.common.embedded_broker import EmbeddedBroker
from services.common.settings import Settings
from services.policy.ruleset import load_ruleset
from services.topics import all_topics, ensure_topics
from services.triage.main import build_broker


async def publish(bootstrap: str, topic: str, payloads: list[bytes], keys: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        headers = [("content-type", b"application/json")]
        futures = [await producer.send(topic, p, key=k, headers=headers) for p, k in zip(payloads, keys, strict=True)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def span_of(bootstrap: str, topic: str, expected: int, label: str, timeout: float = 300) -> float:
    """Wait for `expected` records on `topic`; return last minus first broker timestamp, in seconds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
        parts = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        stamps: list[int] = []
        deadline = time.monotonic() + timeout
        while len(stamps) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                stamps.extend(r.timestamp for r in records)
            seen = min(len(stamps), expected)
            print(f"\r  {label}: {seen:>6}/{expected} [{'#' * (30 * seen // expected):<30}]", end="", file=sys.stderr)
        print(file=sys.stderr)
        if len(stamps) < expected:
            raise RuntimeError(f"{label}: only {len(stamps)} of {expected} records within {timeout} s")
        return (max(stamps) - min(stamps)) / 1000
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer.topics()
    return consumer.partitions_for_topic(topic) or set()


async def passthrough(bootstrap: str, source: str, sink: str, n: int) -> None:
    """The baseline: consume in batches, produce each record, commit each batch after its sends are confirmed."""
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4()}",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await asyncio.gather(consumer.start(), producer.start())
    done = 0
    try:
        while done < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=1000)
            futures = [await producer.send(sink, r.value, key=r.key) for records in batch.values() for r in records]
            await asyncio.gather(*futures)
            await consumer.commit()
            done += len(futures)
    finally:
        await asyncio.gather(consumer.stop(), producer.stop())


async def main(n: int) -> None:
    with EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap
        await ensure_topics(bootstrap, all_topics(4) | {"bench.in": 4, "bench.out": 4})
        events = fresh_events(n)
        payloads = [json.dumps(e).encode() for e in events]
        keys = [e["child_id"].encode() for e in events]
        print(f"triage throughput: {n} events of ~{sum(map(len, payloads)) // n} bytes, embedded broker {bootstrap}")

        await publish(bootstrap, "bench.in", payloads, keys)
        task = asyncio.create_task(passthrough(bootstrap, "bench.in", "bench.out", n))
        raw_span = await span_of(bootstrap, "bench.out", n, "passthrough")
        await task

        await publish(bootstrap, TOPIC_SUBMITTED, payloads, keys)
        settings = Settings(kafka_bootstrap_servers=bootstrap, kafka_fast_rebalance=True,
                            kafka_group_prefix=f"bench-{uuid.uuid4().hex[:6]}")
        triage = build_broker(settings, load_ruleset())
        await start_broker(triage, timeout=30)
        try:
            triage_span = await span_of(bootstrap, TOPIC_DECISIONS, n, "triage    ")
        finally:
            await triage.stop()
        report("triage consumer, referrals decided per second", n / triage_span,
               "baseline: raw aiokafka passthrough per second", n / raw_span, unit="/s", target=">= 0.8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5000, help="events per run")
    asyncio.run(main(parser.parse_args().n))
