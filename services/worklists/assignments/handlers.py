"""Who in a service holds a request, the use cases, each in the caller's transaction: pick it up, give it to a
colleague of the same service, release it, hand several over at once. Each change on the worklist item, in
work_assignments and as `service_request.assigned` on the outcomes topic (key child_id), in one commit. The rules
are `services.common.assignment`'s, shared with the front door."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from schemas import TOPIC_OUTCOMES
from schemas.enums import Service
from schemas.events import ServiceRequestAssigned
from services.common.assignment import Action
from services.common.auth import Principal
from services.common.outbox import enqueue
from services.common.tables import WorkAssignment
from services.common.teams import all_held_by, change_holder, event_fields
from services.worklists.handlers import NOT_RECEIVED, RequestNotFoundError
from services.worklists.tables import WorklistItem


def _locked(session: Session, service: str, request_id: uuid.UUID) -> WorklistItem:
    """The service's own request, locked (another service's, or one only its withdrawal has reached: not found)."""
    item = session.get(WorklistItem, request_id, with_for_update=True)
    if item is None or item.service != service or item.priority == NOT_RECEIVED:
        raise RequestNotFoundError
    return item


def _change(session: Session, item: WorklistItem, action: Action, *, by: Principal, now: datetime, to: str | None,
            confirm: bool, expected: str | None) -> None:
    def announce(change: WorkAssignment) -> None:
        event = ServiceRequestAssigned(correlation_id=item.referral_id, service_request_id=item.id,
                                       referral_id=item.referral_id, child_id=item.child_id,
                                       service=Service(item.service), **event_fields(change))
        enqueue(session, event, topic=TOPIC_OUTCOMES, key=str(item.child_id))

    change_holder(session, item, team=item.service, action=action, actor=by, now=now, to=to, confirm=confirm,
                  expected=expected, announce=announce)


def assign(session: Session, service: str, request_id: uuid.UUID, action: Action, *, by: Principal, now: datetime,
           to: str | None = None, confirm: bool = False, expected: str | None = None) -> WorklistItem:
    """Pick up, give (`to`: a colleague's login id, of this service) or release the request."""
    item = _locked(session, service, request_id)
    _change(session, item, action, by=by, now=now, to=to, confirm=confirm, expected=expected)
    return item


def hand_over(session: Session, service: str, request_ids: list[uuid.UUID], *, holder: str, to: str, by: Principal,
              now: datetime) -> list[WorklistItem]:
    """Give every one of `request_ids`, each held by `holder`, to the colleague `to`: one change and one event per
    request; one no longer held by `holder` refuses the lot (nothing half done)."""
    items = [_locked(session, service, r) for r in sorted(dict.fromkeys(request_ids))]  # one order: no deadlock
    all_held_by(items, holder)
    for item in items:
        _change(session, item, "hand_over", by=by, now=now, to=to, confirm=by.subject != holder, expected=holder)
    return items
