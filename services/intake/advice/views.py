"""Advice without a formal referral, on the database: ask, list, read and answer a request, each in the caller's
transaction (the route writes the audit row); the front-door queue's advice items; the check that a referral made
"from this" advice names a request of the same referrer. The rules are in `advice` (pure)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from schemas.advice import AdviceInput
from schemas.labels import day, label
from schemas.lifecycle import FRONT_DOOR_TEAM
from schemas.referral import LONDON
from schemas.views import shown
from schemas.views.advice import AdviceItem
from services.common.auth import Principal
from services.common.errors import ConflictError, NotFoundError
from services.common.workdays import WorkingCalendar
from services.intake.advice import domain as advice
from services.intake.advice.domain import AnswerForm, Wanted
from services.intake.advice.tables import AdviceRequest
from services.intake.referrals.domain import who
from services.intake.tables import ReferralRecord
from services.policy.advice import AdvicePolicy, advice_policy, service_for

AGE_BANDS = (("0-4", 0, 4), ("5-10", 5, 10), ("11-15", 11, 15), ("16-18", 16, 18), ("19-25", 19, 25))


class UnknownAdviceError(NotFoundError):
    message = "No advice request has this id"


class AlreadyAnsweredError(ConflictError):
    message = "This advice request has been answered already"


@cache
def policy(path: str | None) -> tuple[AdvicePolicy, WorkingCalendar]:
    """The advice section and working-day calendar of the triage policy at `path` (None: the reference ruleset),
    read and checked once, as triage reads it."""
    from services.policy.ruleset.in_force import ruleset_in_force

    ruleset = ruleset_in_force(path)
    return advice_policy(ruleset), ruleset.calendar


def ask(session: Session, form: AdviceInput, *, by: Principal, now: datetime, rules: AdvicePolicy,
        calendar: WorkingCalendar) -> AdviceRequest:
    concerns = [c.value for c in form.concerns]
    setting = form.education_setting
    record = AdviceRequest(
        id=uuid.uuid4(), asked_by=by.subject, asked_at=now, question=form.question, concerns=concerns,
        year_group=form.year_group, age=form.age, school=setting.name if setting else None,
        school_urn=setting.urn if setting else None, service=service_for(concerns, rules),
        answer_due=advice.answer_due(now, rules, calendar),
    )
    session.add(record)
    return record


def listed(session: Session, *, by: Principal, wanted: Wanted, now: datetime,
           calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """The front door: every request; a worker: their services' requests (both filtered by `wanted`, oldest due
    first); a referrer: their own, all states, newest first, each with the referral made from it."""
    query = select(AdviceRequest)
    if "front_door" not in by.roles:
        services = advice.worker_services(by)
        if services:
            query = query.where(col(AdviceRequest.service).in_(services))
        else:
            rows = session.exec(query.where(AdviceRequest.asked_by == by.subject)
                                .order_by(col(AdviceRequest.asked_at).desc())).all()
            made = _referrals_from(session, [r.id for r in rows], by)
            return [shown(AdviceItem, item(r, now, calendar, named=False) | {"referral_id": made.get(r.id)})
                    for r in rows]
    rows = session.exec(query.order_by(col(AdviceRequest.answer_due), col(AdviceRequest.asked_at))).all()
    return [shown(AdviceItem, item(r, now, calendar)) for r in rows if advice.shown(r.answered_at, wanted)]


def read(session: Session, advice_id: uuid.UUID, *, by: Principal, now: datetime,
         calendar: WorkingCalendar) -> dict[str, Any]:
    record = _visible(session, advice_id, by)
    view = item(record, now, calendar, named="referrer" not in by.roles)  # the asker sees the team that answered
    if record.asked_by == by.subject:
        view["referral_id"] = _referrals_from(session, [record.id], by).get(record.id)
    return shown(AdviceItem, view)


def answer(session: Session, advice_id: uuid.UUID, form: AnswerForm, *, by: Principal, now: datetime,
           calendar: WorkingCalendar) -> dict[str, Any]:
    """Answer once: a conditional update (still unanswered), so of two answers at once one wins, the other 409."""
    record = session.get(AdviceRequest, advice_id)
    if record is None or not advice.may_answer(by, service=record.service):
        raise UnknownAdviceError
    claim = update(AdviceRequest).where(col(AdviceRequest.id) == advice_id, col(AdviceRequest.answered_at).is_(None))
    done = session.execute(claim.values(
        answer=form.answer, next_step=form.next_step, refer_to=form.refer_to.value if form.refer_to else None,
        answered_by=by.subject, answered_by_name=by.name, answered_by_team=by.team, answered_at=now))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyAnsweredError
    record = session.get(AdviceRequest, advice_id, populate_existing=True)
    assert record is not None
    return shown(AdviceItem, item(record, now, calendar))


def asked_by(session: Session, advice_id: uuid.UUID, by: Principal) -> bool:
    """Whether `by` asked this advice request (a referral made "from this" advice must name one of theirs)."""
    record = session.get(AdviceRequest, advice_id)
    return record is not None and record.asked_by == by.subject


def item(record: AdviceRequest, now: datetime, calendar: WorkingCalendar, *, named: bool = True) -> dict[str, Any]:
    """An advice request as the API answers it; who answered in words, with their name where `named` (not for the
    referrer who asked: they see the team). An answer kept before teams were stored reads as its service's."""
    team = record.answered_by_team or record.service or FRONT_DOOR_TEAM
    return {
        "advice_id": str(record.id), "asked_at": record.asked_at.isoformat(), "question": record.question,
        "concerns": list(record.concerns), "year_group": record.year_group, "age": record.age,
        "school": record.school, "service": record.service, "answer_due": record.answer_due.isoformat(),
        "overdue": advice.overdue(now, record.answer_due, record.answered_at, calendar),
        "state": advice.state_of(record.answered_at), "answer": record.answer, "next_step": record.next_step,
        "refer_to": record.refer_to, "answered_by": record.answered_by,
        "answerer": who(record.answered_by_name, team, named=named) if record.answered_at else None,
        "answered_at": record.answered_at.isoformat() if record.answered_at else None,
    }


def queue_items(session: Session, now: datetime) -> list[dict[str, Any]]:
    """The front-door queue's items for unanswered advice requests: the clock runs to the end of the due day.
    The summary names the concerns only (the question is on the request itself)."""
    rows = session.exec(select(AdviceRequest).where(col(AdviceRequest.answered_at).is_(None))).all()
    items = []
    for r in rows:
        due = datetime.combine(r.answer_due + timedelta(days=1), time(0, 0), tzinfo=LONDON)
        late = due <= now
        when = day(r.answer_due.isoformat())
        text = f"Overdue: an answer was due by the end of {when}" if late else f"Answer due by the end of {when}"
        concerns = ", ".join(label(c) for c in r.concerns)
        where = f" (also on the {label(r.service)} advice list)" if r.service else ""
        items.append({
            "reason": "advice", "referral_id": None, "child_id": None, "submitted_at": r.asked_at.isoformat(),
            "clock": {"due_at": due.isoformat(), "overdue": late, "text": text}, "outcome": None,
            "services": [r.service] if r.service else [], "school": r.school, "school_urn": r.school_urn,
            "age_band": next((band for band, low, high in AGE_BANDS if low <= r.age <= high), None),
            "summary": f"A question asking for advice{where}. Concerns: {concerns}.",
            "advice": {"advice_id": str(r.id)}, "_due": due,
        })
    return items


def _visible(session: Session, advice_id: uuid.UUID, by: Principal) -> AdviceRequest:
    record = session.get(AdviceRequest, advice_id)
    if record is None or not advice.may_see(by, asked_by=record.asked_by, service=record.service):
        raise UnknownAdviceError
    return record


def _referrals_from(session: Session, ids: list[uuid.UUID], by: Principal) -> dict[uuid.UUID, str]:
    """The first referral `by` made from each advice request (by id)."""
    if not ids:
        return {}
    rows = session.exec(select(ReferralRecord.advice_request_id, ReferralRecord.id).where(
        col(ReferralRecord.advice_request_id).in_(ids), ReferralRecord.submitted_by == by.subject)
        .order_by(col(ReferralRecord.submitted_at).desc())).all()
    return {advice_id: str(referral_id) for advice_id, referral_id in rows if advice_id is not None}
