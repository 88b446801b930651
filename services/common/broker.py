"""The broker factory and publishing helpers every service uses (acks=all; idempotence a setting)."""

from __future__ import annotations

import logging
import ssl
from typing import Any

from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.transient import is_transient

log = get_logger("frontdoor.broker")


def make_broker(settings: Settings, *, client_id: str, routers: tuple[KafkaRouter, ...] = (),
                middlewares: tuple[Any, ...] = ()) -> KafkaBroker:
    """A broker for one service with its consumers' routers. Build it in a composition root, never at import time."""
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        graceful_timeout=settings.graceful_timeout_seconds,
        security=kafka_security(settings),
        middlewares=middlewares,
        logger=logging.getLogger(f"faststream.{client_id}"),
        log_level=logging.DEBUG,  # FastStream's "Received"/"Processed" pair: the handling kit logs one line per message
        ack_policy=AckPolicy.ACK,
        id_generator=_no_publish_id,
    )
    for router in routers:
        broker.include_router(router)
    return broker


def subscriber_options(settings: Settings, group: str) -> dict[str, Any]:
    """At-least-once consumption: commit after the handler (ACK), from the start for a new group."""
    options: dict[str, Any] = {
        "group_id": f"{settings.kafka_group_prefix}.{group}",
        "ack_policy": AckPolicy.ACK,
        "auto_offset_reset": "earliest",
    }
    if settings.kafka_fast_rebalance:
        options.update(rebalance_timeout_ms=1000, session_timeout_ms=6000, heartbeat_interval_ms=500)
    return options


async def raw_bodies(message: Any) -> Any:
    """A subscriber decoder that leaves decoding to the handler: a batch handler decodes record by
    record (one bad record cannot fail its batch); a handler of several event types picks the model."""
    return message.body


def kafka_security(settings: Settings) -> Any:
    """The FastStream security of the Kafka settings (TLS, SASL), None for PLAINTEXT; every Kafka client uses it."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context()
    if protocol == "SSL":
        from faststream.security import BaseSecurity

        return BaseSecurity(ssl_context=context)
    mechanism = (settings.kafka_sasl_mechanism or "SCRAM-SHA-512").upper()
    cls = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[mechanism]
    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    return cls(username=settings.kafka_sasl_username or "", password=password,
               ssl_context=context if protocol == "SASL_SSL" else None)


async def group_lag(settings: Settings, group: str, topic: str, *, timeout: float = 10.0) -> int:
    """Records of `topic` the consumer group `<prefix>.<group>` has not committed yet (read from the
    committed offsets, without joining the group)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition
    from faststream.kafka.security import parse_security

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                group_id=f"{settings.kafka_group_prefix}.{group}",
                                enable_auto_commit=False, **parse_security(kafka_security(settings)))

    async def measure() -> int:
        await consumer.start()
        partitions = (consumer.partitions_for_topic(topic)
                      or (await consumer.topics() and consumer.partitions_for_topic(topic)) or set())
        parts = [TopicPartition(topic, p) for p in sorted(partitions)]
        end = await consumer.end_offsets(parts)
        # The embedded broker can report a committed offset past its end offset: caught up.
        return sum([max(0, end[tp] - (await consumer.committed(tp) or 0)) for tp in parts])

    try:
        return await asyncio.wait_for(measure(), timeout)
    finally:
        await consumer.stop()


async def start_broker(broker: KafkaBroker, *, timeout: float) -> None:
    """Start, retrying while the broker is unreachable (it raises at once otherwise)."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential_jitter(multiplier=0.5, max=5),
        retry=retry_if_exception(lambda exc: is_transient(exc) or isinstance(exc, KafkaError)),
        reraise=True,
    ):
        with attempt:
            try:
                await broker.start()
            except BaseException:
                log.warning("broker not reachable yet", attempt=attempt.retry_state.attempt_number)
                await broker.stop()
                raise


# Event headers are kebab-case, like the dead-letter headers (`x-error`, `x-original-topic`, ...), which alone
# start with `x-` (a replay drops them). Documented in schemas/asyncapi.json (EventHeaders) and the README.
EVENT_HEADERS = ("content-type", "event-id", "event-type", "schema-version", "correlation-id")


def event_headers(event: BaseModel) -> dict[str, str]:
    """The headers every event carries on the bus (its id, type, schema version and correlation id, from the
    payload, so tools need not parse it)."""
    kind = getattr(event, "event_type", "")
    headers = {"content-type": "application/json", "event-id": str(getattr(event, "event_id", "")),
               "event-type": str(getattr(kind, "value", kind)),
               "schema-version": str(getattr(event, "schema_version", 1))}
    correlation = getattr(event, "correlation_id", None)
    return headers if correlation is None else headers | {"correlation-id": str(correlation)}


def read_headers(raw: Any, *, as_written: bool = False) -> dict[str, str]:
    """A record's headers ((name, bytes) pairs or a mapping) as text, by their current names. The snake_case
    names (`event_id`, `correlation_id`, ... as FastStream wrote `correlation_id` until now) are still read, for
    one version: a record written before is read the same. `as_written` keeps every name as it is."""
    pairs = raw.items() if isinstance(raw, dict) else (raw or ())
    out = {name: value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value) for name, value in pairs}
    for name in () if as_written else EVENT_HEADERS:
        legacy = name.replace("-", "_")
        if name not in out and legacy in out:
            out[name] = out.pop(legacy)
    return out


def _no_publish_id() -> str:
    """FastStream's id generator: empty, so it writes no `correlation_id` header of its own (the event's
    `correlation-id` header is ours; FastStream makes a local id when a record has none)."""
    return ""
