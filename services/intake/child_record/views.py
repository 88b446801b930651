"""One child as intake knows them (the front door, MASH and the DSR panel read it): who the child is, every referral
(newest first), service request and its state, line of the child's timeline (decisions, people's decisions and
overrides, outcomes), advice question that led to a referral, and merge. Reads only: the route writes the audit row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from schemas.views import shown
from schemas.views.child_record import ChildRecord
from services.intake.advice.tables import AdviceRequest
from services.intake.child_record.domain import child_details
from services.intake.children.domain import survivor_of
from services.intake.children.handlers import ChildNotFoundError, merged_into
from services.intake.referrals.domain import who
from services.intake.referrals.handlers import priority_changes
from services.intake.referrals.views import state_of
from services.intake.tables import Child, ChildMerge, ReferralRecord, ServiceRequestRecord, TimelineItem


def child_record(session: Session, child_id: uuid.UUID) -> dict[str, Any]:
    """The child's record (ChildNotFoundError: no such child). A record merged into another says which."""
    child = session.get(Child, child_id)
    if child is None:
        raise ChildNotFoundError
    survivor = survivor_of(child_id, merged_into(session))
    referrals = session.exec(select(ReferralRecord).where(ReferralRecord.child_id == child_id)
                             .order_by(col(ReferralRecord.submitted_at).desc())).all()
    requests = session.exec(select(ServiceRequestRecord).where(ServiceRequestRecord.child_id == child_id)
                            .order_by(col(ServiceRequestRecord.due_by))).all()
    timeline = session.exec(select(TimelineItem).where(TimelineItem.child_id == child_id)
                            .order_by(col(TimelineItem.at).desc(), col(TimelineItem.id).desc())).all()
    merges = session.exec(select(ChildMerge).where(or_(col(ChildMerge.survivor_id) == child_id,
                                                       col(ChildMerge.merged_id) == child_id))
                          .order_by(col(ChildMerge.at).desc())).all()
    latest = referrals[0].referral.get("child", {}) if referrals else {}
    return shown(ChildRecord, {
        "child_id": str(child_id), "merged_into": str(survivor) if survivor != child_id else None,
        "child": child_details(latest, child.nhs_number),
        "referrals": [{"referral_id": str(r.id), "submitted_at": r.submitted_at.isoformat(), "status": r.status,
                       "outcome": r.outcome,
                       "referrer_organisation": (r.referral.get("referrer") or {}).get("organisation")}
                      for r in referrals],
        "service_requests": _requests(session, requests),
        "timeline": [{"at": t.at.isoformat(), "kind": t.kind, "summary": t.summary,
                      "referral_id": str(t.referral_id) if t.referral_id else None,
                      "by": who(t.by_name, t.by_team, named=True)} for t in timeline],
        "advice": _advice(session, referrals),
        "merges": [{"merge_id": str(m.id), "survivor_id": str(m.survivor_id), "merged_id": str(m.merged_id),
                    "at": m.at.isoformat(), "by_name": m.by_name, "reason": m.reason,
                    "undone_at": m.undone_at.isoformat() if m.undone_at else None} for m in merges],
    })


def _requests(session: Session, requests: Sequence[ServiceRequestRecord]) -> list[dict[str, Any]]:
    changed: dict[uuid.UUID, tuple[str, str]] = {}
    for referral_id in {r.referral_id for r in requests}:
        changed |= priority_changes(session, referral_id, {r.id: r for r in requests if r.referral_id == referral_id})
    return [{"service_request_id": str(r.id), "referral_id": str(r.referral_id), "service": r.service,
             "pathway": r.pathway, "priority": r.priority, "status": r.status, "held": r.held,
             "state": state_of(r, changed), "due_by": r.due_by.isoformat(), "updated_at": r.updated_at.isoformat()}
            for r in requests]


def _advice(session: Session, referrals: Sequence[ReferralRecord]) -> list[dict[str, Any]]:
    """The advice questions that led to one of the child's referrals (advice itself names no child)."""
    asked = {r.advice_request_id: r.id for r in referrals if r.advice_request_id}
    if not asked:
        return []
    rows = session.exec(select(AdviceRequest).where(col(AdviceRequest.id).in_(asked))
                        .order_by(col(AdviceRequest.asked_at).desc())).all()
    return [{"advice_id": str(a.id), "asked_at": a.asked_at.isoformat(),
             "answered_at": a.answered_at.isoformat() if a.answered_at else None, "service": a.service,
             "referral_id": str(asked[a.id])} for a in rows]
