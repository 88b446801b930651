"""The front door's use cases on who holds a referral on its queue, each in the caller's transaction: pick it up,
give it to a colleague, release it, hand several over at once (each change on the referral's row, in
work_assignments and as `referral.assigned` through the outbox, in one commit); and intake's copy of who in a
service holds each request (`service_request.assigned`, the latest change kept)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS
from schemas.events import ServiceRequestAssigned
from schemas.lifecycle import FRONT_DOOR_TEAM
from services.common.assignment import Action
from services.common.auth import Principal
from services.common.outbox import enqueue
from services.common.tables import WorkAssignment
from services.common.teams import all_held_by, change_holder, event_fields
from services.intake.assignments.domain import is_newer, referral_assigned
from services.intake.front_door.domain import NoSuchReferralError
from services.intake.tables import ReferralRecord, ServiceRequestHolder


def _locked(session: Session, referral_id: uuid.UUID) -> ReferralRecord:
    record = session.get(ReferralRecord, referral_id, with_for_update=True)
    if record is None:
        raise NoSuchReferralError
    return record


def _change(session: Session, record: ReferralRecord, action: Action, *, by: Principal, now: datetime,
            to: str | None, confirm: bool, expected: str | None) -> None:
    def announce(change: WorkAssignment) -> None:
        event = referral_assigned(event_fields(change), referral_id=record.id, child_id=record.child_id)
        enqueue(session, event, topic=TOPIC_DECISIONS, key=str(record.child_id))

    change_holder(session, record, team=FRONT_DOOR_TEAM, action=action, actor=by, now=now, to=to, confirm=confirm,
                  expected=expected, announce=announce)


def assign(session: Session, referral_id: uuid.UUID, action: Action, *, by: Principal, now: datetime,
           to: str | None = None, confirm: bool = False, expected: str | None = None) -> ReferralRecord:
    """Pick up, give (`to`: a colleague's login id) or release the referral (services.common.assignment.plan)."""
    record = _locked(session, referral_id)
    _change(session, record, action, by=by, now=now, to=to, confirm=confirm, expected=expected)
    return record


def hand_over(session: Session, referral_ids: list[uuid.UUID], *, holder: str, to: str, by: Principal,
              now: datetime) -> list[ReferralRecord]:
    """Give every one of `referral_ids`, each held by `holder`, to the colleague `to` (leave, a shift change): one
    change and one event per referral. One no longer held by `holder` refuses the lot (nothing half done). Handing
    over someone else's work (a manager covering their absence) is a confirmed take-over of each."""
    records = [_locked(session, r) for r in sorted(dict.fromkeys(referral_ids))]  # one order: no deadlock
    all_held_by(records, holder)
    for record in records:
        _change(session, record, "hand_over", by=by, now=now, to=to, confirm=by.subject != holder, expected=holder)
    return records


def held_by(session: Session, subject: str) -> list[uuid.UUID]:
    """The referrals `subject` holds."""
    return list(session.exec(select(ReferralRecord.id).where(ReferralRecord.assigned_to == subject)
                             .order_by(col(ReferralRecord.assigned_at))).all())


def apply_request_assignment(session: Session, event: ServiceRequestAssigned, now: datetime) -> bool:
    """Keep who in the service holds a request (for the front door's view of the child), the latest change only:
    one that arrives after a later one (a relay's retry) is passed by."""
    kept = session.get(ServiceRequestHolder, event.service_request_id, with_for_update=True)
    if kept is not None and not is_newer(event.occurred_at, event.event_id, kept.changed_at, kept.event_id):
        return False
    kept = kept or ServiceRequestHolder(id=event.service_request_id, referral_id=event.referral_id,
                                        service=event.service.value,
                                        changed_at=event.occurred_at, event_id=event.event_id)
    kept.assigned_to, kept.assigned_to_name = event.assigned_to, event.assigned_to_name
    kept.changed_at, kept.event_id = event.occurred_at, event.event_id
    session.add(kept)
    return True
