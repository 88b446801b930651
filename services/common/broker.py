"""The broker factory and publishing helpers every service uses (acks=all; idempotence a setting)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
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
# The CloudEvents 1.0 Kafka protocol binding, binary content mode: the payload is the event's data, its attributes
# are `ce_` headers (and `content-type` is its datacontenttype). Written beside the names above, which are still
# written for one version (README, "Contracts").
CLOUDEVENTS_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject")
CONTENT_TYPE = "application/json"


def event_headers(event: BaseModel | Mapping[str, Any], *, source: str) -> dict[str, str]:
    """The headers every event carries on the bus, from the payload (so tools need not parse it): its id, type,
    schema version and correlation id, and the CloudEvents attributes. `event` is the model or its JSON form (the
    outbox relay reads the stored payload); `source` is the producing service's (`event_source`)."""
    get = event.get if isinstance(event, Mapping) else lambda name: getattr(event, name, None)
    kind = get("event_type") or ""
    kind = str(getattr(kind, "value", kind))
    event_id = str(get("event_id") or "")
    headers = {"content-type": CONTENT_TYPE, "event-id": event_id, "event-type": kind,
               "schema-version": str(get("schema_version") or 1)}
    correlation = get("correlation_id")
    if correlation is not None:
        headers["correlation-id"] = str(correlation)
    headers |= {"ce_specversion": "1.0", "ce_id": event_id, "ce_source": source, "ce_type": kind,
                "ce_time": _utc_rfc3339(get("occurred_at"))}
    # What the event is about: its referral, else its child (a merge: the merged child, the record's key); an audit
    # chain's head is about no one.
    subject = next((value for name in ("referral_id", "correlation_id", "child_id", "merged_id")
                    if (value := get(name)) is not None), None)
    return headers if subject is None else headers | {"ce_subject": str(subject)}


def _utc_rfc3339(moment: Any) -> str:
    """An event's occurred_at (a datetime, or the payload's RFC 3339 text) in UTC, as pydantic writes it: `Z`."""
    when = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment).upper())
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_source(client_id: str) -> str:
    """The CloudEvents `ce_source` of what a service publishes, `/frontdoor/<service>`, from its broker's client id
    (`frontdoor-<service>`, or `frontdoor-<service>-<consumer>` for a service of several brokers)."""
    return "/frontdoor/" + client_id.removeprefix("frontdoor-").split("-", 1)[0]


def broker_source(broker: KafkaBroker) -> str:
    """`event_source` of the broker a service publishes with (make_broker's client id)."""
    return event_source(str(broker.config.client_id))


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
