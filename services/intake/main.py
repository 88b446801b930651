"""Intake assembled: the HTTP routes, the consumer of decisions and service outcomes, the outbox
relay and the safety net that sends again a referral still undecided long after publishing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from faststream.kafka import KafkaBroker, KafkaRouter
from prometheus_client import Counter
from sqlalchemy import Engine

from schemas import TOPIC_DECISIONS, TOPIC_OUTCOMES, TOPIC_SUBMITTED, Referral, ServiceOutcome, TriageDecided
from schemas.events import WORK_ON_DECISIONS, WORK_ON_OUTCOMES, EmergencyUnanswered, TriageOverridden
from services.common import who_saw_routes
from services.common.audit_witness import witness_job
from services.common.broker import group_lag, make_broker
from services.common.consuming import Handler, consumer_router, event_consumer
from services.common.db import make_engine, session_scope
from services.common.logging import get_logger
from services.common.runtime import every, service_app, wake_relay
from services.common.settings import Settings
from services.common.tables import utcnow
from services.intake.advice import routes as advice_routes
from services.intake.assignments import handlers as assignments
from services.intake.assignments import routes as assignment_routes
from services.intake.child_record import routes as child_record_routes
from services.intake.children.routes import router as duplicate_children_routes
from services.intake.dead_letters import routes as dead_letter_routes
from services.intake.front_door import handlers as front_door
from services.intake.front_door import routes as front_door_routes
from services.intake.notes import routes as note_routes
from services.intake.referrals import handlers, routes, safety_net
from services.intake.reports import routes as report_routes
from services.intake.search import routes as search_routes
from services.intake.summaries import routes as summary_routes
from services.intake.whatif import routes as whatif_routes

log = get_logger("frontdoor.intake")
REDRIVE_MAX_BACKLOG = 50  # records; beyond this the pipeline is still catching up
CONSUMES: dict[str, Handler] = {
    "triage.decided": handlers.apply_decision, "triage.overridden": handlers.apply_override,
    "service_request.*": handlers.apply_outcome,
    "referral.emergency_unanswered": handlers.ignore,  # the front-door queue's own clock; nothing to keep here
    "referral.assigned": handlers.ignore, "referral.note_added": handlers.ignore,  # intake's own: written already
    # who in a service holds a request: kept beside intake's copy of it, for the front door's view of the child
    "service_request.assigned": assignments.apply_request_assignment, "service_request.note_added": handlers.ignore,
}
REDRIVEN = Counter("frontdoor_intake_redriven_referrals",
                   "Referrals still undecided long after publishing, whose event was published again")


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)

    def build_broker() -> KafkaBroker:
        return make_broker(settings, client_id="frontdoor-intake", routers=(build_router(settings, engine),))

    app = service_app("Front Door intake", settings, build_broker, engine=engine, relay=True, version="1",
                      background=lambda: [redrive_job(app, settings, engine),
                                          emergency_job(app, settings, engine),
                                          witness_job(app, settings, engine)])
    app.include_router(search_routes.router)  # before /children/{child_id}: /children/search is its own route
    app.include_router(whatif_routes.router)
    app.include_router(advice_routes.router)  # before /reports/{name}: /reports/advice is its own route
    app.include_router(routes.router)
    app.include_router(summary_routes.router)
    app.include_router(report_routes.router)
    app.include_router(front_door_routes.router)
    app.include_router(assignment_routes.router)
    app.include_router(note_routes.router)
    app.include_router(dead_letter_routes.router)
    app.include_router(duplicate_children_routes)
    app.include_router(child_record_routes.router)
    app.include_router(who_saw_routes.router)
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app


def build_router(settings: Settings, engine: Engine) -> KafkaRouter:
    """The consumer of decisions and service outcomes (group and processed-id name "intake")."""
    router = consumer_router()
    event_consumer(router, TOPIC_DECISIONS, TOPIC_OUTCOMES, settings=settings, engine=engine, group="intake",
                   consumer="intake", handlers=CONSUMES,
                   models=(TriageDecided, TriageOverridden, EmergencyUnanswered, ServiceOutcome, *WORK_ON_DECISIONS,
                           *WORK_ON_OUTCOMES),
                   title="triage.decided, triage.overridden and service outcomes (intake)")
    return router


def emergency_job(app: FastAPI, settings: Settings, engine: Engine) -> Callable[[], Awaitable[None]]:
    """The emergency clock as a background loop (every EMERGENCY_CHECK_SECONDS)."""
    return every(settings.emergency_check_seconds, lambda: front_door.run_emergency_check(engine),
                 what="emergency clock", then=lambda marked: wake_relay(app) if marked else None)


def redrive_job(app: FastAPI, settings: Settings, engine: Engine) -> Callable[[], Awaitable[None]]:
    """The safety net, as a background loop: referrals undecided long after publishing, sent again."""
    def redrive() -> int:
        after = timedelta(seconds=settings.undecided_redrive_seconds)
        with session_scope(engine) as session:
            sent = safety_net.redrive_undecided(session, now=utcnow(), after=after)
        for referral_id in sent:
            log.warning("referral still undecided; its event published again", referral_id=str(referral_id))
        REDRIVEN.inc(len(sent))
        return len(sent)

    async def catching_up() -> str | None:
        """Only a pipeline that has caught up can say a referral was lost: while triage or intake's
        own consumer still has a backlog, a referral may simply not be reached yet, and sending it
        again would only add to the backlog."""
        behind = (await group_lag(settings, "triage", TOPIC_SUBMITTED)
                  + await group_lag(settings, "intake", TOPIC_DECISIONS))
        return f"{behind} records still to consume" if behind > REDRIVE_MAX_BACKLOG else None

    return every(min(60.0, settings.undecided_redrive_seconds / 2), redrive, what="undecided referral check",
                 then=lambda sent: wake_relay(app) if sent else None, unless=catching_up)


def openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the Referral schema the POST body refers to (the route reads raw bytes)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        defs = Referral.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.pop("$defs", {}))
        schema["components"]["schemas"]["Referral"] = defs
        app.openapi_schema = schema
    return app.openapi_schema
