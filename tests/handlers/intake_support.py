"""What intake's handler tests build: referrals, decisions and outcomes about them, and readers of
what the handlers wrote (the events queued for triage, the timeline, the requests)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from schemas import TOPIC_SUBMITTED, Referral, ReferralRedirected, ReferralSubmitted, ServiceOutcome, TriageDecided
from schemas.referral import LONDON
from services.common.tables import OutboxMessage
from services.intake.referrals import handlers
from services.intake.tables import ReferralRecord, ServiceRequestRecord, TimelineItem
from tests.factories import referral_body
from tests.handlers.conftest import NOW, principal

DAY = timedelta(days=1)
BY = principal("school-a", "referrer")


def referral(**changes: Any) -> Referral:
    return Referral.model_validate(referral_body(**changes), context={"as_of": NOW.astimezone(LONDON).date()})


def submit(session: Session, **changes: Any) -> ReferralRecord:
    result = handlers.submit(session, referral(**changes), by=BY, now=NOW)
    assert result.created
    session.commit()
    return result.record


def sent(session: Session) -> list[ReferralSubmitted | ReferralRedirected]:
    """What intake queued for triage, checking each row's id, topic and key."""
    rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all()
    events: list[ReferralSubmitted | ReferralRedirected] = []
    for row in rows:
        model = ReferralRedirected if '"referral.redirected"' in row.payload else ReferralSubmitted
        event = model.model_validate_json(row.payload)
        assert (row.topic, row.key, row.id) == (TOPIC_SUBMITTED, str(event.child_id), event.event_id)
        events.append(event)
    return events


def timeline(session: Session, record: ReferralRecord) -> list[tuple[str, str]]:
    items = session.exec(select(TimelineItem).where(TimelineItem.referral_id == record.id)
                         .order_by(col(TimelineItem.at), col(TimelineItem.id))).all()
    return [(t.kind, t.summary) for t in items]


def route(service: str = "salt", *, priority: str = "routine", held: bool = False,
          due_days: int = 10) -> dict[str, Any]:
    return {"service": service, "pathway": "community", "priority": priority, "due_by": NOW + due_days * DAY,
            "held": held, "reasons": ["route.test"], "service_request_id": uuid.uuid4()}


def decided(record: ReferralRecord, *routes: dict[str, Any], outcome: str = "routed", missing: tuple[str, ...] = (),
            redirect_of: uuid.UUID | None = None) -> TriageDecided:
    person = {"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-05-01"}
    return TriageDecided(
        event_id=uuid.uuid4(), occurred_at=NOW, referral_id=record.id, child_id=record.child_id, decided_at=NOW,
        ruleset_version="test-1", outcome=outcome, routes=list(routes), missing=list(missing),
        dsr={"candidate": True, "suggested_rating": "amber", "person": person},
        explanation=[{"rule_id": "route.test", "because": "a test"}], redirect_of=redirect_of,
    )


def outcome(request: ServiceRequestRecord, kind: str, **fields: Any) -> ServiceOutcome:
    return ServiceOutcome(
        event_id=uuid.uuid4(), occurred_at=NOW + DAY, event_type=f"service_request.{kind}",
        service_request_id=request.id, referral_id=request.referral_id, child_id=request.child_id,
        service=request.service, by="worker-1", **fields,
    )


def requests_of(session: Session, record: ReferralRecord) -> list[ServiceRequestRecord]:
    query = select(ServiceRequestRecord).where(ServiceRequestRecord.referral_id == record.id)
    return list(session.exec(query.order_by(col(ServiceRequestRecord.due_by))).all())
