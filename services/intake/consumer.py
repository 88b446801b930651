"""Intake's consumer of decisions: keeps each referral's decision and service requests for its referrer."""

from __future__ import annotations

import asyncio

from faststream.kafka import KafkaRouter
from sqlalchemy import Engine

from schemas import TOPIC_DECISIONS, TriageDecided
from services.common.broker import subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES
from services.common.db import session_scope
from services.common.settings import Settings
from services.intake.service import apply_decision


def build_router(settings: Settings, engine: Engine) -> KafkaRouter:
    router = KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)

    def apply(event: TriageDecided) -> None:
        with session_scope(engine) as session:
            apply_decision(session, event)

    @router.subscriber(TOPIC_DECISIONS, title="triage.decided (intake)", **subscriber_options(settings, "intake"))
    async def on_triage_decided(event: TriageDecided) -> None:
        await asyncio.to_thread(apply, event)

    return router
