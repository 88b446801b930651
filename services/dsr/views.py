"""What the DSR meeting reads: the agenda, one entry with its timeline, the CSV return, counts. The JSON views are
checked against their models in schemas.views.dsr (what the routes declare and answer)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from schemas.enums import DsrSource
from schemas.referral import age_on
from schemas.views import shown
from schemas.views.child_record import ChildEntry
from schemas.views.dsr import AgendaEntry, EntryView, ListedEntry, Register, WeekCounts
from services.common import csvfile
from services.dsr import rules
from services.dsr.domain import OPEN, Clock, EntryNotFoundError, Rating, Status
from services.dsr.rules import AgendaItem
from services.dsr.tables import DsrAction, DsrConsent, DsrEntry, DsrRatingChange, DsrReview, DsrTask, DsrTimelineItem


def _person(entry: DsrEntry, today: date) -> dict[str, Any]:
    if entry.suppressed:
        return {"name": "(suppressed: consent withdrawn)", "age": None, "review_track": None}
    born = entry.date_of_birth
    return {
        "name": f"{entry.given_name or ''} {entry.family_name or ''}".strip() or "(not known)",
        "date_of_birth": born.isoformat() if born else None,
        "nhs_number": entry.nhs_number,
        "age": age_on(born, today) if born else None,
        "review_track": rules.review_track(born, entry.has_ehcp, today).value if born else None,
    }


def _origin(entry: DsrEntry, today: date) -> dict[str, Any]:
    """How the person reached the register, their age band and, for an entry added directly, what was said."""
    out: dict[str, Any] = {"age_band": rules.age_band(entry.date_of_birth, today), "source": entry.source}
    if entry.source == DsrSource.direct and not entry.suppressed:
        out |= {"referring_agency": entry.referring_agency, "diagnoses": entry.diagnoses or [],
                "risks": entry.risks or [], "current_setting": entry.current_setting, "reason": entry.reason,
                "added_by": entry.added_by}
    return out


def _open_tasks(session: Session, entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    counts: dict[uuid.UUID, int] = {}
    open_tasks = select(DsrTask).where(col(DsrTask.entry_id).in_(entry_ids), DsrTask.status == "open")
    for task in session.exec(open_tasks).all():
        counts[task.entry_id] = counts.get(task.entry_id, 0) + 1
    return counts


def agenda(session: Session, clock: Clock, *, horizon_days: int = 7, age_band: str | None = None,
           track: str | None = None) -> list[dict[str, Any]]:
    """Entries for the meeting, in the order it takes them (rules.agenda_order); only one age band or review
    track when asked (councils often hold the children's and the adults' parts of the meeting apart)."""
    today = clock.today
    entries = {e.id: e for e in session.exec(select(DsrEntry).where(col(DsrEntry.status).in_(OPEN))).all()
               if _in(e, today, age_band=age_band, track=track)}
    items = [
        AgendaItem(str(e.id), Status(e.status), Rating(e.rating) if e.rating else None, e.escalation_suggested,
                   e.next_review_due)
        for e in entries.values()
    ]
    chosen = rules.agenda_order([i for i in items if rules.on_agenda(i, today, horizon_days)])
    tasks = _open_tasks(session, list(entries))
    out = []
    for item in chosen:
        e = entries[uuid.UUID(item.entry_id)]
        out.append(shown(AgendaEntry, {
            "entry_id": item.entry_id, **_person(e, today), "status": e.status, "rating": e.rating,
            "suggested_rating": e.suggested_rating, "escalation_suggested": e.escalation_suggested,
            "next_review_due": e.next_review_due.isoformat() if e.next_review_due else None,
            "overdue": rules.is_overdue(e.next_review_due, today), "open_tasks": tasks.get(e.id, 0),
            **_origin(e, today),
        }))
    return out


def _in(entry: DsrEntry, today: date, *, age_band: str | None, track: str | None) -> bool:
    born = entry.date_of_birth
    if age_band is not None and rules.age_band(born, today) != age_band:
        return False
    return track is None or (born is not None and rules.review_track(born, entry.has_ehcp, today).value == track)


def entries(session: Session, clock: Clock, *, added_by: str | None = None,
            source: str | None = None) -> list[dict[str, Any]]:
    """The open entries (the panel), or every entry one person added (a dsr_referrer: any status), oldest first."""
    query = select(DsrEntry).order_by(col(DsrEntry.created_at), col(DsrEntry.id))
    query = query.where(DsrEntry.added_by == added_by) if added_by else query.where(col(DsrEntry.status).in_(OPEN))
    if source:
        query = query.where(DsrEntry.source == source)
    return [
        shown(ListedEntry, {
            "entry_id": str(e.id), "name": _person(e, clock.today)["name"],
            "date_of_birth": e.date_of_birth.isoformat() if e.date_of_birth and not e.suppressed else None,
            "age_band": rules.age_band(e.date_of_birth, clock.today), "status": e.status,
            "created_at": e.created_at.isoformat(), "source": e.source})
        for e in session.exec(query).all()
    ]


def entry_view(session: Session, entry_id: uuid.UUID, clock: Clock, *, added_by: str | None = None) -> dict[str, Any]:
    """One entry with its timeline, rating history, reviews, actions, tasks and consents; with `added_by`, only
    an entry that person added (any other is missing, as an id that names nothing)."""
    e = session.get(DsrEntry, entry_id)
    if e is None or (added_by is not None and e.added_by != added_by):
        raise EntryNotFoundError

    def rows(model: Any, order: Any) -> list[Any]:
        return list(session.exec(select(model).where(model.entry_id == e.id).order_by(order)).all())

    return shown(EntryView, {
        "entry_id": str(e.id), "child_id": str(e.child_id), **_person(e, clock.today), "status": e.status,
        "rating": e.rating, "rating_since": e.rating_since.isoformat() if e.rating_since else None,
        "suggested_rating": e.suggested_rating, "escalation_suggested": e.escalation_suggested,
        "next_review_due": e.next_review_due.isoformat() if e.next_review_due else None,
        "overdue": rules.is_overdue(e.next_review_due, clock.today), "keyworker": e.keyworker,
        "lead_professional": e.lead_professional, "closed_reason": e.closed_reason, **_origin(e, clock.today),
        "timeline": [
            {"at": t.at.isoformat(), "kind": t.kind, "summary": t.summary,
             # a direct addition's own words: why, and whom to contact (a note on an open entry has no columns)
             "reason": t.detail.get("reason"), "contact": t.detail.get("referrer_contact"),
             **({"by": t.detail["by"]} if t.detail.get("by") else {})}
            for t in rows(DsrTimelineItem, col(DsrTimelineItem.at))
        ],
        "rating_history": [
            {"from": r.from_rating, "to": r.to_rating, "at": r.at.isoformat(), "by": r.by, "rationale": r.rationale,
             **({"by_name": r.by_name} if r.by_name else {})}
            for r in rows(DsrRatingChange, col(DsrRatingChange.at))
        ],
        "reviews": [
            {"review_id": str(r.id), "held_on": r.held_on.isoformat(), "rating": r.rating, "rationale": r.rationale,
             "attendees": r.attendees, "next_review_due": r.next_review_due.isoformat(), "by": r.by,
             **({"by_name": r.by_name} if r.by_name else {})}
            for r in rows(DsrReview, col(DsrReview.held_on))
        ],
        "actions": [
            {"what": a.what, "owner_agency": a.owner_agency, "due": a.due.isoformat(), "status": a.status}
            for a in rows(DsrAction, col(DsrAction.due))
        ],
        "tasks": [
            {"kind": t.kind, "description": t.description, "due": t.due.isoformat(), "status": t.status}
            for t in rows(DsrTask, col(DsrTask.due))
        ],
        "consents": [
            {"basis": c.basis, "given_by": c.given_by, "given_at": c.given_at.isoformat(),
             "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
             "reconfirm_due": c.reconfirm_due.isoformat()}
            for c in rows(DsrConsent, col(DsrConsent.given_at))
        ],
    })


EXPORT_COLUMNS = [
    "entry_id", "nhs_number", "date_of_birth", "age", "review_track", "status", "rating", "rating_since",
    "suggested_rating", "escalation_suggested", "next_review_due", "review_overdue", "keyworker_allocated",
    "open_tasks", "consent_reconfirm_due", "age_band", "source",
]


def child_entries(session: Session, child_id: uuid.UUID) -> list[dict[str, Any]]:
    """The child's register entries, newest first, for the child's page: status, rating and next review only."""
    rows = session.exec(select(DsrEntry).where(DsrEntry.child_id == child_id)
                        .order_by(col(DsrEntry.created_at).desc())).all()
    return [shown(ChildEntry, {"entry_id": str(e.id), "status": e.status, "rating": e.rating,
                               "next_review_due": e.next_review_due, "created_at": e.created_at.isoformat(),
                               "closed_reason": e.closed_reason}) for e in rows]


def export_csv(session: Session, clock: Clock) -> str:
    """One row per open entry for the monthly return: identifiers, states and dates, no free text."""
    today = clock.today
    open_entries = select(DsrEntry).where(col(DsrEntry.status).in_(OPEN)).order_by(col(DsrEntry.created_at))
    entries = session.exec(open_entries).all()
    tasks = _open_tasks(session, [e.id for e in entries])
    reconfirm: dict[uuid.UUID, date] = {}
    for c in session.exec(select(DsrConsent).where(col(DsrConsent.withdrawn_at).is_(None))).all():
        reconfirm[c.entry_id] = max(reconfirm.get(c.entry_id, c.reconfirm_due), c.reconfirm_due)
    rows: list[dict[str, Any]] = []
    for e in entries:
        born = e.date_of_birth
        rows.append({
            "entry_id": str(e.id), "nhs_number": e.nhs_number or "", "date_of_birth": born.isoformat() if born else "",
            "age": age_on(born, today) if born else "",
            "review_track": rules.review_track(born, e.has_ehcp, today).value if born else "",
            "status": e.status, "rating": e.rating or "",
            "rating_since": e.rating_since.date().isoformat() if e.rating_since else "",
            "suggested_rating": e.suggested_rating or "",
            "escalation_suggested": "yes" if e.escalation_suggested else "no",
            "next_review_due": e.next_review_due.isoformat() if e.next_review_due else "",
            "review_overdue": "yes" if rules.is_overdue(e.next_review_due, today) else "no",
            "keyworker_allocated": "yes" if e.keyworker else "no", "open_tasks": tasks.get(e.id, 0),
            "consent_reconfirm_due": reconfirm[e.id].isoformat() if e.id in reconfirm else "",
            "age_band": rules.age_band(born, today), "source": e.source,
        })
    return csvfile.write_dicts(EXPORT_COLUMNS, rows)


def counts_by_week(session: Session, clock: Clock, *, weeks: int = 12,
                   age_band: str | None = None) -> list[dict[str, Any]]:
    """Open entries by rating at the end of each of the last `weeks` weeks, this week (so far) last, from the
    append-only rating history; only the people in `age_band` (their age at each week's end) when asked.
    Small numbers are not suppressed here, unlike the commissioning reports: only the DSR panel reads these
    counts, and it works from the same register person by person (the agenda, each entry, the register export),
    so hiding a count of 1 would hide nothing from it and blur its own meeting."""
    out = []
    for week_end, by_band in _weekly(session, clock, weeks):
        counts = _zero()
        for band, in_band in by_band.items():
            if age_band is None or band == age_band:
                counts = {k: counts[k] + n for k, n in in_band.items()}
        out.append(shown(WeekCounts, {"week_ending": week_end.isoformat(), **counts}))
    return out


COUNTS_COLUMNS = ["week_ending", "age_band", "red", "amber", "green", "blue", "unrated"]


def counts_csv(session: Session, clock: Clock, *, weeks: int = 12) -> str:
    """One row per week per age band (a row for entries without a date of birth only when there are some)."""
    weekly = _weekly(session, clock, weeks)
    bands = [*rules.AGE_BANDS] + ([rules.UNKNOWN_AGE] if any(rules.UNKNOWN_AGE in b for _, b in weekly) else [])
    rows = [{"week_ending": week_end.isoformat(), "age_band": band, **by_band.get(band, _zero())}
            for week_end, by_band in weekly for band in bands]
    return csvfile.write_dicts(COUNTS_COLUMNS, rows)


def _zero() -> dict[str, int]:
    return {r.value: 0 for r in Rating} | {"unrated": 0}


def _weekly(session: Session, clock: Clock, weeks: int) -> list[tuple[date, dict[str, dict[str, int]]]]:
    """For each week's end: counts by rating of the entries open then, by their age band then."""
    changes = session.exec(select(DsrRatingChange).order_by(col(DsrRatingChange.at))).all()
    entries = {e.id: e for e in session.exec(select(DsrEntry)).all()}
    out = []
    this_sunday = clock.today + timedelta(days=6 - clock.today.weekday())
    for i in range(weeks - 1, -1, -1):
        week_end = this_sunday - timedelta(weeks=i)
        rating_at: dict[uuid.UUID, str] = {}
        for c in changes:
            if clock.calendar.local_day(c.at) <= week_end:
                rating_at[c.entry_id] = c.to_rating
        by_band: dict[str, dict[str, int]] = {}
        for entry_id, e in entries.items():
            if clock.calendar.local_day(e.created_at) > week_end:
                continue
            if e.status == Status.closed and clock.calendar.local_day(e.updated_at) <= week_end:
                continue
            band = by_band.setdefault(rules.age_band(e.date_of_birth, week_end), _zero())
            band[rating_at.get(entry_id, "unrated")] += 1
        out.append((week_end, by_band))
    return out


REGISTER_CHOICES: dict[str, tuple[str, ...]] = {  # each filter of the whole register and its choices
    "rating": (*(r.value for r in Rating), "unrated"),
    "source": tuple(s.value for s in DsrSource),
    "track": (*(t.value for t in rules.Track), rules.UNKNOWN_AGE),
    "age_band": (*rules.REGISTER_AGE_BANDS, rules.UNKNOWN_AGE),
    "next_review": rules.REVIEW_WHEN,
}


def register(session: Session, clock: Clock, chosen: dict[str, list[str]], *,
             latest_first: bool = False) -> dict[str, Any]:
    """Every open entry the filters keep (`chosen`: each filter's ticked choices, any of them; rules.kept), by next
    review soonest (or latest) first, with the counts of each filter's choices given the others (rules.facet_counts)."""
    today = clock.today
    shown_as: dict[str, dict[str, Any]] = {}
    rows = []
    for e in session.exec(select(DsrEntry).where(col(DsrEntry.status).in_(OPEN))).all():
        person = _person(e, today)
        out = shown_as[str(e.id)] = {
            "entry_id": str(e.id), "name": person["name"], "age": person["age"],
            "age_band": rules.register_band(None if e.suppressed else e.date_of_birth, today), "source": e.source,
            "review_track": person["review_track"], "status": e.status, "rating": e.rating,
            "suggested_rating": e.suggested_rating, "escalation_suggested": e.escalation_suggested,
            "next_review_due": e.next_review_due.isoformat() if e.next_review_due else None,
            "next_review": rules.review_when(e.next_review_due, today),
            "overdue": rules.is_overdue(e.next_review_due, today)}
        rows.append(rules.RegisterRow(str(e.id), {
            "rating": e.rating or "unrated", "source": e.source, "track": out["review_track"] or rules.UNKNOWN_AGE,
            "age_band": out["age_band"], "next_review": out["next_review"]}, e.next_review_due))
    kept = rules.register_order([r for r in rows if rules.kept(r, chosen)], latest_first=latest_first)
    return shown(Register, {"entries": [shown_as[r.key] for r in kept], "total": len(rows),
                            "counts": rules.facet_counts(rows, chosen, REGISTER_CHOICES)})
