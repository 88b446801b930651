"""The DSR meeting's pack (read only): the agenda (views.agenda, in the order the meeting takes it) with each
person's rating and why, risks, open tasks and their last review's actions, and the last meeting's attendees."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from schemas.views import shown
from schemas.views.dsr_pack import MeetingPack
from services.dsr import views
from services.dsr.domain import Clock
from services.dsr.tables import DsrAction, DsrEntry, DsrRatingChange, DsrReview, DsrTask


def meeting_pack(session: Session, clock: Clock, *, age_band: str | None = None,
                 track: str | None = None) -> dict[str, Any]:
    agenda = views.agenda(session, clock, age_band=age_band, track=track)
    ids = [uuid.UUID(a["entry_id"]) for a in agenda]

    def by_entry(model: Any, *order: Any) -> dict[uuid.UUID, list[Any]]:
        rows: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
        for row in session.exec(select(model).where(col(model.entry_id).in_(ids)).order_by(*order)).all():
            rows[row.entry_id].append(row)
        return rows

    reviews = by_entry(DsrReview, col(DsrReview.held_on), col(DsrReview.recorded_at))
    changes = by_entry(DsrRatingChange, col(DsrRatingChange.at))
    actions = by_entry(DsrAction, col(DsrAction.due), col(DsrAction.id))
    tasks = by_entry(DsrTask, col(DsrTask.due), col(DsrTask.id))
    entries = {e.id: e for e in session.exec(select(DsrEntry).where(col(DsrEntry.id).in_(ids))).all()}
    out = []
    for item, entry_id in zip(agenda, ids, strict=True):
        last = reviews[entry_id][-1] if reviews[entry_id] else None
        entry = entries[entry_id]
        out.append({
            "agenda": item,
            "keyworker": entry.keyworker, "lead_professional": entry.lead_professional,
            "rating_reason": changes[entry_id][-1].rationale if changes[entry_id] else None,
            "last_review": {"held_on": last.held_on, "rating": last.rating, "rationale": last.rationale,
                            "next_review_due": last.next_review_due} if last else None,
            "actions": [{"what": a.what, "owner_agency": a.owner_agency, "due": a.due, "status": a.status}
                        for a in actions[entry_id] if last is not None and a.review_id == last.id],
            "open_tasks": [{"description": t.description, "due": t.due} for t in tasks[entry_id]
                           if t.status == "open"],
        })
    return shown(MeetingPack, {"prepared_on": clock.today, "entries": out,
                               "last_meeting": last_meeting([r for rows in reviews.values() for r in rows])})


def last_meeting(reviews: list[DsrReview]) -> dict[str, Any] | None:
    """The most recent day any of `reviews` was held and who attended it: each person (name and agency) once, in
    the order the reviews of that day recorded them."""
    if not reviews:
        return None
    held_on = max(r.held_on for r in reviews)
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for review in sorted((r for r in reviews if r.held_on == held_on), key=lambda r: r.recorded_at):
        for person in review.attendees:
            seen.setdefault((person["name"].casefold(), person["agency"].casefold()), person)
    return {"held_on": held_on, "attendees": list(seen.values())}
