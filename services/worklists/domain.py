"""What the worklists announce: the `ServiceOutcome` event for each thing done to a request (pure;
the rules for what may be done are in `rules.py`, the lifecycle in `schemas/lifecycle.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from schemas import ServiceOutcome
from schemas.enums import OutcomeEventType, Service
from services.common.ids import derived_id
from services.worklists.tables import WorklistItem

MASH_SIGNPOST = "Safeguarding (MASH) decision"  # the signpost of a held request MASH declines
BREACH_JOB = "breach-job"  # the `by` of a breach


def outcome_event(item: WorklistItem, kind: OutcomeEventType, *, by: str, now: datetime,
                  event_id: uuid.UUID | None = None, by_name: str | None = None, **fields: Any) -> ServiceOutcome:
    """`kind` happened to `item` (a fresh event id unless one is given), done by `by` (and `by_name`, their display
    name, when their token gave one)."""
    return ServiceOutcome(
        event_id=event_id or uuid.uuid4(), occurred_at=now, correlation_id=item.referral_id, event_type=kind,
        service_request_id=item.id, referral_id=item.referral_id, child_id=item.child_id, service=Service(item.service),
        by=by, by_name=by_name, pathway=item.pathway, due_by=item.due_by, **fields,
    )


def breach_event(item: WorklistItem, now: datetime) -> ServiceOutcome:
    """The request was not accepted by its due date. Its id is derived from the request, so a
    replayed claim yields the very same event."""
    return outcome_event(item, OutcomeEventType.breached, by=BREACH_JOB, now=now,
                         event_id=derived_id(item.id, "service_request.breached"))
