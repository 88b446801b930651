"""Worklist use cases: receive a request, list and show a service's requests, act on them, release
held requests, and mark breaches. Every action's event goes out through the outbox, in the same
transaction as the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import update
from sqlmodel import Session, col, select

from schemas import TOPIC_OUTCOMES, ServiceOutcome, ServiceRequestCreated
from schemas.enums import OutcomeEventType, Service
from services.common.idempotency import first_delivery
from services.common.ids import derived_id
from services.common.outbox import enqueue
from services.worklists import rules
from services.worklists.tables import WorklistItem

BREACHES = Counter("frontdoor_sla_breaches", "Service requests not accepted by their due date", ["service"])


class NotFoundError(Exception):
    pass


def consumer_name(service: str) -> str:
    return f"worklists.{service}"


def receive(session: Session, event: ServiceRequestCreated) -> bool:
    """Materialise one service_request.created into its service's worklist (once)."""
    if not first_delivery(session, consumer=consumer_name(event.service.value), event_id=event.event_id):
        return False
    if session.get(WorklistItem, event.service_request_id) is not None:
        return False
    session.add(
        WorklistItem(
            id=event.service_request_id, service=event.service.value, referral_id=event.referral_id, child_id=event.child_id,
            pathway=event.pathway, priority=event.priority.value, due_by=event.due_by, held=event.held,
            reasons=[r.model_dump() for r in event.reasons], details=event.details.model_dump(exclude_none=True),
            received_at=event.occurred_at, updated_at=event.occurred_at,
        )
    )
    return True


def summary(item: WorklistItem, now: datetime) -> dict[str, Any]:
    left = rules.time_left(item.due_by, now)
    return {
        "service_request_id": str(item.id), "referral_id": str(item.referral_id), "pathway": item.pathway,
        "priority": item.priority, "due_by": item.due_by.isoformat(), "time_left": left.text, "overdue": left.overdue,
        "held": item.held, "status": item.status, "breached": item.breached_at is not None,
        "child": {k: item.details.get(k) for k in ("given_name", "family_name", "date_of_birth") if k in item.details},
    }


def worklist(session: Session, service: str, now: datetime, *, pathway: str | None = None, status: str | None = None,
             held: bool | None = None) -> list[dict[str, Any]]:
    query = select(WorklistItem).where(WorklistItem.service == service)
    query = query.where(WorklistItem.status == status) if status else query.where(col(WorklistItem.status).in_(rules.OPEN))
    if pathway:
        query = query.where(WorklistItem.pathway == pathway)
    if held is not None:
        query = query.where(WorklistItem.held == held)
    items = sorted(session.exec(query).all(), key=lambda i: rules.queue_order_key(i.priority, i.due_by, str(i.id)))
    return [summary(i, now) for i in items]


def item_of(session: Session, service: str, request_id: uuid.UUID) -> WorklistItem:
    """The request if it is this service's; another service's request is as good as missing."""
    item = session.get(WorklistItem, request_id)
    if item is None or item.service != service:
        raise NotFoundError
    return item


def view(session: Session, service: str, request_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    item = item_of(session, service, request_id)
    return summary(item, now) | {
        "reasons": item.reasons, "details": item.details, "outcome_reason": item.outcome_reason,
        "signpost": item.signpost, "redirect_to": item.redirect_to,
    }


def _emit(session: Session, item: WorklistItem, kind: OutcomeEventType, *, by: str, now: datetime, **fields: Any) -> ServiceOutcome:
    event = ServiceOutcome(
        event_id=uuid.uuid4(), occurred_at=now, correlation_id=item.referral_id, event_type=kind,
        service_request_id=item.id, referral_id=item.referral_id, child_id=item.child_id, service=Service(item.service),
        by=by, pathway=item.pathway, due_by=item.due_by, **fields,
    )
    enqueue(session, event, topic=TOPIC_OUTCOMES, key=str(item.child_id))
    return event


def act(session: Session, service: str, request_id: uuid.UUID, action: str, *, by: str, now: datetime,
        reason: str | None = None, signpost: str | None = None, redirect_to: str | None = None) -> WorklistItem:
    """accept, decline (reason + signpost), redirect (service + reason) or complete."""
    item = item_of(session, service, request_id)
    status = rules.check_action(action, status=item.status, held=item.held)
    if action == "redirect" and redirect_to == service:
        raise rules.ActionRefusedError("redirect to another service, not this one")
    item.status, item.updated_at, item.actor = status, now, by
    if action == "accept":
        item.accepted_at = now
    if reason:
        item.outcome_reason = reason
    item.signpost, item.redirect_to = signpost or item.signpost, redirect_to or item.redirect_to
    session.add(item)
    _emit(session, item, OutcomeEventType(f"service_request.{RESULT_EVENT[action]}"), by=by, now=now, reason=reason,
          signpost=signpost, redirect_to=Service(redirect_to) if redirect_to else None)
    return item


RESULT_EVENT = {"accept": "accepted", "decline": "declined", "redirect": "redirected", "complete": "completed"}


def held_for_referral(session: Session, referral_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    items = session.exec(select(WorklistItem).where(WorklistItem.referral_id == referral_id, WorklistItem.held == True)).all()  # noqa: E712
    return [summary(i, now) | {"service": i.service} for i in items if i.status == "created"]


def decide_held(session: Session, referral_id: uuid.UUID, decision: str, *, by: str, now: datetime, reason: str | None) -> int:
    """MASH releases the referral's held requests to their services, or declines them."""
    items = [i for i in session.exec(select(WorklistItem).where(WorklistItem.referral_id == referral_id, WorklistItem.held == True)).all()  # noqa: E712
             if i.status == "created"]
    for item in items:
        item.updated_at, item.actor = now, by
        if decision == "release":
            item.held = False
            _emit(session, item, OutcomeEventType.released, by=by, now=now, reason=reason)
        else:
            item.status, item.outcome_reason = "declined", reason
            _emit(session, item, OutcomeEventType.declined, by=by, now=now, reason=reason, signpost="Safeguarding (MASH) decision")
        session.add(item)
    return len(items)


def mark_breaches(session: Session, now: datetime, *, limit: int = 500) -> int:
    """Emit service_request.breached once per request not accepted by its due date.

    Safe with several replicas: each request is claimed by a conditional UPDATE (breached_at IS
    NULL), so only one transaction wins it, and its event is queued in that same transaction; the
    event id is derived from the request, so even a replayed claim yields the same event."""
    due = session.exec(
        select(WorklistItem.id).where(col(WorklistItem.breached_at).is_(None), col(WorklistItem.status).in_(rules.NOT_YET_ACCEPTED),
                                      col(WorklistItem.due_by) < now).limit(limit)
    ).all()
    count = 0
    for request_id in due:
        claimed = session.execute(
            update(WorklistItem).where(col(WorklistItem.id) == request_id, col(WorklistItem.breached_at).is_(None)).values(breached_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another replica took it
        item = session.get(WorklistItem, request_id)
        assert item is not None
        event = ServiceOutcome(
            event_id=derived_id(item.id, "service_request.breached"), occurred_at=now, correlation_id=item.referral_id,
            event_type=OutcomeEventType.breached, service_request_id=item.id, referral_id=item.referral_id, child_id=item.child_id,
            service=Service(item.service), by="breach-job", pathway=item.pathway, due_by=item.due_by,
        )
        enqueue(session, event, topic=TOPIC_OUTCOMES, key=str(item.child_id))
        BREACHES.labels(item.service).inc()
        count += 1
    return count


def breach_counts(session: Session) -> dict[str, int]:
    counts = {s.value: 0 for s in Service}
    for service in session.exec(select(WorklistItem.service).where(col(WorklistItem.breached_at).is_not(None))).all():
        counts[service] += 1
    return counts
