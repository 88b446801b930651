"""The triage consumer: for each record of a batch, validate, decide, publish the decision and one
request per route; a bad record goes to the DLQ. The batch is committed only once every send of
it (acks=all) is confirmed, so throughput is not bound by one broker round trip per message."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import structlog
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaBroker, KafkaMessage
from prometheus_client import Counter
from pydantic import Field, TypeAdapter

from schemas import (
    TOPIC_DECISIONS,
    TOPIC_SUBMITTED,
    ReferralRedirected,
    ReferralSubmitted,
    ServiceRequestCreated,
    TriageDecided,
    queue_topic,
)
from schemas.enums import Service
from services.common import faults
from services.common.broker import event_headers, raw_bodies, subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES, dead_letter, is_transient
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.tables import utcnow
from services.triage.outputs import triage, triage_redirect
from services.triage.ruleset import Ruleset

log = get_logger("frontdoor.triage")
DECISIONS = Counter("frontdoor_triage_decisions", "Triage decisions by outcome", ["outcome"])
ROUTES = Counter("frontdoor_triage_routes", "Routes decided by service and priority", ["service", "priority"])
BATCH_RECORDS = 500
# The referrals topic carries new referrals and redirects (same key: one child's events in order).
INPUT: TypeAdapter[ReferralSubmitted | ReferralRedirected] = TypeAdapter(
    Annotated[ReferralSubmitted | ReferralRedirected, Field(discriminator="event_type")]
)


def build_router(settings: Settings, ruleset: Ruleset) -> KafkaRouter:
    router = KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)
    decisions = router.publisher(TOPIC_DECISIONS, schema=TriageDecided, title="triage.decided")
    queues = {
        s.value: router.publisher(queue_topic(s), schema=ServiceRequestCreated, title=f"service_request.created ({s.value})")
        for s in Service
    }

    async def send(publisher: Any, event: TriageDecided | ServiceRequestCreated, key: bytes) -> Any:
        return await publisher.publish(event.model_dump_json().encode(), key=key, headers=event_headers(event), no_confirm=True)

    @router.subscriber(
        TOPIC_SUBMITTED, title="referral.submitted", description="Payload: ReferralSubmitted (schemas/json/referral.submitted.schema.json)",
        batch=True, max_records=BATCH_RECORDS, batch_timeout_ms=20, decoder=raw_bodies, **subscriber_options(settings, "triage"),
    )
    async def on_referrals_submitted(bodies: list[bytes], message: KafkaMessage, broker: KafkaBroker) -> None:
        sends = []
        for record in message.raw_message:
            with structlog.contextvars.bound_contextvars(partition=record.partition, offset=record.offset):
                try:
                    event = INPUT.validate_json(record.value or b"")
                    react = triage if isinstance(event, ReferralSubmitted) else triage_redirect
                    decided, requests = react(event, ruleset, now=utcnow())
                except Exception as exc:  # a bad record: dead-letter it, keep the rest of the batch
                    if is_transient(exc):
                        raise
                    sends.append(await dead_letter(broker, record, exc, confirm=False))
                    continue
            key = str(event.child_id).encode()
            sends.append(await send(decisions, decided, key))
            sends.extend([await send(queues[r.service.value], r, key) for r in requests])
            DECISIONS.labels(decided.outcome.value).inc()
            for route in decided.routes:
                ROUTES.labels(route.service.value, route.priority.value).inc()
        await asyncio.gather(*sends)  # every send confirmed (acks=all) before the batch is committed
        for partition, offsets in _by_partition(message.raw_message).items():
            log.info("batch decided", partition=partition, offset=offsets[0], count=len(offsets))
        faults.after_commit("triage")

    return router


def _by_partition(records: Any) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for record in records:
        out.setdefault(record.partition, []).append(record.offset)
    return out

