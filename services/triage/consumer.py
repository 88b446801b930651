"""The triage consumer: validate, decide, publish the decision and one request per route, done."""

from __future__ import annotations

from faststream.kafka import KafkaRouter
from prometheus_client import Counter

from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED, ReferralSubmitted, ServiceRequestCreated, TriageDecided, queue_topic
from schemas.enums import Service
from services.common.broker import event_headers, subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES
from services.common.settings import Settings
from services.common.tables import utcnow
from services.triage.outputs import triage
from services.triage.ruleset import Ruleset

DECISIONS = Counter("frontdoor_triage_decisions", "Triage decisions by outcome", ["outcome"])
ROUTES = Counter("frontdoor_triage_routes", "Routes decided by service and priority", ["service", "priority"])


def build_router(settings: Settings, ruleset: Ruleset) -> KafkaRouter:
    router = KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)
    decisions = router.publisher(TOPIC_DECISIONS, schema=TriageDecided, title="triage.decided")
    queues = {
        s.value: router.publisher(queue_topic(s), schema=ServiceRequestCreated, title=f"service_request.created ({s.value})")
        for s in Service
    }

    @router.subscriber(TOPIC_SUBMITTED, title="referral.submitted", **subscriber_options(settings, "triage"))
    async def on_referral_submitted(event: ReferralSubmitted) -> None:
        decided, requests = triage(event, ruleset, now=utcnow())
        key = str(event.child_id).encode()
        await decisions.publish(decided.model_dump_json().encode(), key=key, headers=event_headers(decided))
        for request in requests:
            await queues[request.service.value].publish(request.model_dump_json().encode(), key=key, headers=event_headers(request))
        DECISIONS.labels(decided.outcome.value).inc()
        for route in decided.routes:
            ROUTES.labels(route.service.value, route.priority.value).inc()

    return router
