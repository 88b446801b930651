"""The worklists service: one consumer group per service materialising its queue, one on the service
outcomes for the front door's withdrawals, one on the children topic for merged child records, the
workers' API and the breach job, wired together."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy import Engine

from schemas import (
    TOPIC_CHILDREN,
    TOPIC_OUTCOMES,
    ChildMerged,
    ChildUnmerged,
    ServiceOutcome,
    ServiceRequestCreated,
    queue_topic,
)
from schemas.enums import Service
from schemas.events import WORK_ON_OUTCOMES
from services.common import who_saw_routes
from services.common.audit_witness import witness_job
from services.common.broker import make_broker
from services.common.consuming import Handler, consumer_router, event_consumer
from services.common.db import make_engine, session_scope
from services.common.runtime import every, service_app, wake_relay
from services.common.settings import Settings
from services.common.tables import utcnow
from services.worklists.assignments.routes import router as assignment_router
from services.worklists.handlers import follow_merge, follow_unmerge, ignore, mark_breaches, receive, withdraw
from services.worklists.notes_routes import router as notes_router
from services.worklists.routes import router
from services.worklists.search_routes import router as search_router

OUTCOME_HANDLERS: dict[str, Handler] = {"service_request.withdrawn": withdraw, "service_request.*": ignore}
CHILDREN_HANDLERS: dict[str, Handler] = {"child.merged": follow_merge, "child.unmerged": follow_unmerge}


def build_brokers(settings: Settings, engine: Engine) -> list[KafkaBroker]:
    """One broker and consumer group per service queue (<prefix>.worklists.<service>), one on the
    service outcomes (<prefix>.worklists.outcomes) for the requests a front-door decision withdraws, and
    one on the children topic (<prefix>.worklists.children): requests follow a merge of child records."""
    brokers = []
    for svc in Service:
        queue = consumer_router()
        event_consumer(queue, queue_topic(svc), settings=settings, engine=engine, group=f"worklists.{svc.value}",
                       consumer=f"worklists.{svc.value}", handlers={"service_request.created": receive},
                       models=(ServiceRequestCreated,), title=f"service_request.created (worklists.{svc.value})")
        brokers.append(make_broker(settings, client_id=f"frontdoor-worklists-{svc.value}", routers=(queue,)))
    outcomes = consumer_router()
    event_consumer(outcomes, TOPIC_OUTCOMES, settings=settings, engine=engine, group="worklists.outcomes",
                   consumer="worklists.outcomes", handlers=OUTCOME_HANDLERS, models=(ServiceOutcome, *WORK_ON_OUTCOMES),
                   title="service_request.withdrawn (worklists.outcomes)")
    brokers.append(make_broker(settings, client_id="frontdoor-worklists-outcomes", routers=(outcomes,)))
    children = consumer_router()
    event_consumer(children, TOPIC_CHILDREN, settings=settings, engine=engine, group="worklists.children",
                   consumer="worklists.children", handlers=CHILDREN_HANDLERS, models=(ChildMerged, ChildUnmerged),
                   title="child.merged and child.unmerged (worklists.children)")
    brokers.append(make_broker(settings, client_id="frontdoor-worklists-children", routers=(children,)))
    return brokers


def run_breach_check(engine: Engine) -> int:
    """One round of the breach job (blocking)."""
    with session_scope(engine) as session:
        return mark_breaches(session, utcnow())


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)
    breach_job = every(settings.breach_check_seconds, lambda: run_breach_check(engine), what="breach check",
                       then=lambda marked: wake_relay(app) if marked else None)
    app = service_app(
        "Front Door worklists", settings, lambda: build_brokers(settings, engine), engine=engine, relay=True,
        background=lambda: [breach_job, witness_job(app, settings, engine)], version="1",
    )
    app.include_router(router)
    app.include_router(search_router)
    app.include_router(notes_router)
    app.include_router(assignment_router)
    app.include_router(who_saw_routes.router)
    return app
