"""What intake shows of referrals: a referral as its referrer sees it and a referrer's list. Reads only: the audit
row of a read is written by the caller."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from schemas.events import RouteChange
from schemas.lifecycle import RequestStatus, acting_team
from schemas.views import referrals as shapes
from schemas.views import shown
from services.common.auth import Principal
from services.intake.front_door import domain as overrides
from services.intake.referrals import disclosure
from services.intake.referrals.domain import ReferralNotFoundError, request_state, who
from services.intake.referrals.handlers import Submitted, priority_changes
from services.intake.tables import FrontDoorDecision, ReferralRecord, ServiceRequestRecord, TimelineItem


def submitted(result: Submitted) -> dict[str, Any]:
    record = result.record
    return shown(shapes.Submitted, {"referral_id": str(record.id), "child_id": str(record.child_id),
                                    "status": record.status, "links": {"self": f"/referrals/{record.id}"}})


def referral_view(session: Session, referral_id: uuid.UUID, *, by: Principal,
                  front_door: bool = False, ruleset_path: str | None = None) -> dict[str, Any]:
    """The referral as its referrer sees it (ReferralNotFoundError when it is not theirs), or with
    `front_door` as the front-door team sees any referral: the child's whole timeline, the whole explanation.
    A referrer sees nothing of other referrers' activity: the timeline through their own referrals only, the
    reasons resting on the child's history worded without it (`disclosure`, by the triage policy at
    `ruleset_path`), and no hint of other children's records (`possible_duplicate` is the front door's)."""
    record = session.get(ReferralRecord, referral_id)
    if record is None or (record.submitted_by != by.subject and not front_door):
        raise ReferralNotFoundError
    reader = disclosure.FRONT_DOOR if front_door else disclosure.referrer(ruleset_path)
    requests = session.exec(select(ServiceRequestRecord).where(ServiceRequestRecord.referral_id == referral_id)
                            .order_by(col(ServiceRequestRecord.due_by))).all()
    changed = priority_changes(session, referral_id, {r.id: r for r in requests})
    timeline = session.exec(select(TimelineItem).where(TimelineItem.child_id == record.child_id)
                            .order_by(col(TimelineItem.at), col(TimelineItem.id))).all()
    return shown(shapes.ReferralView, {
        "referral_id": str(record.id),
        "child_id": str(record.child_id),
        "status": record.status,
        "submitted_at": record.submitted_at.isoformat(),
        "client_reference": record.client_reference,
        **({"possible_duplicate": bool(record.possible_duplicates)} if front_door else {}),
        "referral": record.referral,
        **_decisions(session, record, reader),
        "service_requests": [
            {
                "service_request_id": str(r.id), "service": r.service, "pathway": r.pathway, "priority": r.priority,
                "due_by": r.due_by.isoformat(), "held": r.held, "status": r.status,
                "breached": r.breached_at is not None,
                "redirect_of": str(r.redirect_of) if r.redirect_of else None,
                "state": state_of(r, changed), "by": who(r.by_name, _team(r), named=front_door),
            }
            for r in requests
        ],
        "timeline": [
            {"at": t.at.isoformat(), "kind": t.kind, "summary": t.summary, "this_referral": t.referral_id == record.id,
             "by": who(t.by_name, t.by_team, named=front_door)}
            for t in timeline
            if front_door or t.referral_id == record.id or _same_referrer(session, t.referral_id, by)
        ],
    })


def _decisions(session: Session, record: ReferralRecord, reader: disclosure.Reader) -> dict[str, Any]:
    """The decision in force; when a person on the front door changed it, the original one (with its
    explanation) and each person's decision: who, when, why and what changed, in words; as `reader` may see them."""
    rows = session.exec(select(FrontDoorDecision).where(FrontDoorDecision.referral_id == record.id)
                        .order_by(col(FrontDoorDecision.decided_at))).all()
    requests = {r.id: r for r in session.exec(
        select(ServiceRequestRecord).where(ServiceRequestRecord.referral_id == record.id)).all()}
    decision = record.decision
    original = overrides.original_decision(decision)
    return {
        "decision": reader.decision({k: v for k, v in decision.items() if k != "previous"} if decision else None),
        "original_decision": reader.decision(dict(original)) if original is not None else None,
        "front_door_decisions": [
            {"decision_id": str(row.id), "decided_by": row.decided_by,
             "decided_by_name": reader.person(row.decided_by_name), "decided_at": row.decided_at.isoformat(),
             "rationale": row.rationale, "disagreed_with": reader.rule_ids(row.disagreed_with), "changes": row.changes,
             "summary": "; ".join(overrides.change_words(RouteChange.model_validate(c), requests,
                                                         done=row.applied_event_id is not None) for c in row.changes),
             "status": "applied" if row.applied_event_id else "requested"}
            for row in rows
        ],
    }


def _same_referrer(session: Session, referral_id: uuid.UUID | None, by: Principal) -> bool:
    """A referrer sees the child's journey through their own referrals, not other referrers'."""
    other = session.get(ReferralRecord, referral_id) if referral_id else None
    return other is not None and other.submitted_by == by.subject


def state_of(request: ServiceRequestRecord, changed: dict[uuid.UUID, tuple[str, str]]) -> str:
    """A request's state in words (`changed`: the requests the front door gave another priority)."""
    return request_state(request.status, held=request.held, signpost=request.signpost, reason=request.outcome_reason,
                         redirect_to=request.redirect_to, priority_change=changed.get(request.id))


def _team(request: ServiceRequestRecord) -> str | None:
    """The team of whoever last acted on the request: none while nobody has; the front door withdraws."""
    if request.status == RequestStatus.created:
        return None
    return acting_team(request.status, request.service)


def referral_summaries(session: Session, *, by: Principal, limit: int = 100) -> list[dict[str, Any]]:
    """The referrer's referrals, most recent first: the child's name and each request's state in words."""
    rows = session.exec(
        select(ReferralRecord).where(ReferralRecord.submitted_by == by.subject)
        .order_by(col(ReferralRecord.submitted_at).desc()).limit(limit)
    ).all()
    requests: dict[uuid.UUID, list[ServiceRequestRecord]] = {r.id: [] for r in rows}
    for request in session.exec(select(ServiceRequestRecord).where(col(ServiceRequestRecord.referral_id).in_(requests))
                                .order_by(col(ServiceRequestRecord.due_by))).all():
        requests[request.referral_id].append(request)
    return [shown(shapes.ReferralSummary, _summary(session, r, requests[r.id])) for r in rows]


def _summary(session: Session, record: ReferralRecord, requests: list[ServiceRequestRecord]) -> dict[str, Any]:
    child = record.referral.get("child") or {}
    changed = priority_changes(session, record.id, {r.id: r for r in requests}) if requests else {}
    return {"referral_id": str(record.id), "status": record.status, "outcome": record.outcome,
            "submitted_at": record.submitted_at.isoformat(), "client_reference": record.client_reference,
            "child_name": f"{child.get('given_name', '')} {child.get('family_name', '')}".strip() or None,
            "services": [{"service_request_id": str(r.id), "service": r.service, "priority": r.priority,
                          "status": r.status, "state": state_of(r, changed), "due_by": r.due_by.isoformat()}
                         for r in requests]}
