"""The front-door queue: one list of everything that needs a person, most urgent first, each item
with its reason, its clock and its referral. Reads only (the caller writes the audit row).

Reasons: an emergency with no contact recorded (its 4-hour clock); a manual_review or out_of_scope
referral no person has decided yet (by the end of the next working day); a referral still waiting
for missing information CHASE_AFTER_WORKING_DAYS working days after its decision (once chased: "chase again by"
CHASE_AGAIN_WORKING_DAYS working days after the chase, then overdue again); a possible
duplicate child nobody has reviewed; a referral event on a dead-letter topic (ids, topic and error
only: never its content); an advice request not answered yet (its clock: the end of its due day)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from schemas.labels import day, in_sentence, label
from schemas.lifecycle import OPEN
from schemas.referral import LONDON, age_on
from schemas.views import shown
from schemas.views.front_door import Queue
from schemas.views.front_door import QueueAgeBand as AgeBand
from schemas.views.front_door import QueueReason as Reason
from services.common.dead_letters import DeadEvent, error_words
from services.common.dead_letters import Letter as DeadLetterRow
from services.common.teams import holder_shown
from services.common.workdays import WorkingCalendar
from services.intake.advice import views as advice_views
from services.intake.dead_letters import views as dead_letter_views
from services.intake.front_door.domain import chase_clock
from services.intake.front_door.handlers import CHASE_WORDS, EMERGENCY
from services.intake.referrals.domain import NEEDS_INFORMATION
from services.intake.tables import (
    ChildMerge,
    DistinctChildren,
    FrontDoorDecision,
    InformationChase,
    ReferralRecord,
    ServiceRequestRecord,
)

REASONS: tuple[Reason, ...] = ("emergency", "manual_review", "out_of_scope", "needs_information",
                               "possible_duplicate", "dead_letter", "advice")
AGE_BANDS: dict[AgeBand, tuple[int, int]] = {"0-4": (0, 4), "5-10": (5, 10), "11-15": (11, 15), "16-18": (16, 18),
                                             "19-25": (19, 25)}
EMERGENCY_CLOCK = timedelta(hours=4)  # the policy's emergency due time, when a referral has no clock of its own
DECIDE_WITHIN_WORKING_DAYS = 1  # a referral the rules could not finish: a person decides by 17:00 the next working day
DECIDE_BY = time(17, 0)
WORDS = {"manual_review": "needs a person to decide",
         "out_of_scope": "is outside this front door's services, by the rules"}
CALENDAR = WorkingCalendar()


@dataclass(frozen=True)
class Filters:
    reason: Reason | None = None
    service: str | None = None
    school: str | None = None
    age_band: AgeBand | None = None
    held_by: str | None = None  # only the items this person (login id) holds
    unassigned: bool = False  # only the items nobody holds

    def keep(self, item: dict[str, Any]) -> bool:
        school = (self.school or "").strip().casefold()
        holder = (item.get("assigned") or {}).get("subject")
        return ((self.reason is None or item["reason"] == self.reason)
                and (self.held_by is None or holder == self.held_by) and (not self.unassigned or holder is None)
                and (self.service is None or self.service in item["services"])
                and (not school or school in {(item["school"] or "").casefold(), item["school_urn"] or ""})
                and (self.age_band is None or item["age_band"] == self.age_band))


def queue(session: Session, now: datetime, *, chase_after_working_days: int, chase_again_working_days: int,
          dead_letters: Sequence[DeadLetterRow] | None, filters: Filters = Filters()) -> dict[str, Any]:
    """The queue, filtered, with the count per reason before filtering. `dead_letters` None: the
    broker could not be read (the rest of the queue still answers, with a note)."""
    items = [
        *[_item("emergency", r, now, *_emergency_clock(r, now)) for r in _emergencies(session)],
        *[_item(r.outcome, r, now, *_decide_clock(r, now)) for r in _undecided(session)],  # type: ignore[arg-type]
        *_waiting_for_information(session, now, chase_after_working_days, chase_again_working_days),
        *_possible_duplicates(session, now),
    ]
    _add_services(session, items)
    items += [_dead_letter_item(e) for e in dead_letter_views.waiting(session, dead_letters or ())]
    items += advice_views.queue_items(session, now)
    items.sort(key=_urgency)
    for item in items:
        del item["_due"]
    counts = {reason: sum(1 for i in items if i["reason"] == reason) for reason in REASONS}
    notes = [] if dead_letters is not None else ["Dead letters could not be read: the message broker did not answer"]
    listed = [i for i in items if filters.keep(i)]
    return shown(Queue, {"items": listed, "counts": counts, "total": len(listed), "notes": notes})


# --- which referrals need a person, and their clocks ------------------------------------------------

def _emergencies(session: Session) -> Sequence[ReferralRecord]:
    return session.exec(select(ReferralRecord).where(
        ReferralRecord.outcome == EMERGENCY, col(ReferralRecord.contact_made_at).is_(None))).all()


def _emergency_clock(record: ReferralRecord, now: datetime) -> tuple[datetime, bool, str]:
    due = record.emergency_due_at or (record.decided_at or record.submitted_at) + EMERGENCY_CLOCK
    if due <= now:
        return due, True, f"Overdue: contact was due by {_when(due)}"
    return due, False, f"Contact due by {_when(due)} ({_left(due - now)} left)"


def _undecided(session: Session) -> Sequence[ReferralRecord]:
    decided = select(FrontDoorDecision.referral_id)
    return session.exec(select(ReferralRecord).where(
        col(ReferralRecord.outcome).in_(("manual_review", "out_of_scope")),
        col(ReferralRecord.id).not_in(decided))).all()


def _decide_clock(record: ReferralRecord, now: datetime) -> tuple[datetime, bool, str]:
    since = record.decided_at or record.submitted_at
    due = CALENDAR.due_after_working_days(since, DECIDE_WITHIN_WORKING_DAYS, DECIDE_BY)
    if due <= now:
        return due, True, f"Overdue: a person was to decide by {_when(due)}"
    return due, False, f"A person to decide by {_when(due)}"


def _waiting_for_information(session: Session, now: datetime, working_days: int,
                             again_after: int) -> list[dict[str, Any]]:
    """Referrals waiting for missing information whose chase clock lists them (`domain.chase_clock`): first
    `working_days` after information was asked for; after a chase, "chase again by" its next action date."""
    records = session.exec(select(ReferralRecord).where(ReferralRecord.outcome == NEEDS_INFORMATION)).all()
    items = []
    for record in records:
        since = record.decided_at or record.submitted_at
        chase = session.exec(select(InformationChase).where(InformationChase.referral_id == record.id)
                             .order_by(col(InformationChase.at).desc())).first()
        clock = chase_clock(since, chase.at if chase else None, now, first_after=working_days,
                            again_after=again_after)
        if not clock.listed:
            continue
        if chase is None:
            text = f"No answer {working_days} working days after information was asked for on {_day(since)}"
        else:
            again = "was to be chased again by" if clock.overdue else "chase again by"
            text = (f"Information asked for on {_day(since)}; last chased by {CHASE_WORDS.get(chase.how, chase.how)} "
                    f"on {_day(chase.at)}; {again} {_day(clock.due)}")
        item = _item("needs_information", record, now, clock.due, clock.overdue, text)
        if chase is not None:
            item["last_chase"] = {"at": chase.at.isoformat(), "how": chase.how}
        items.append(item)
    return items


def _possible_duplicates(session: Session, now: datetime) -> list[dict[str, Any]]:
    flagged = session.exec(select(ReferralRecord).where(
        cast(ReferralRecord.possible_duplicates, Text) != "[]")).all()
    children = {r.child_id for r in flagged} | {uuid.UUID(c) for r in flagged for c in r.possible_duplicates}
    resolved = _resolved_pairs(session, children)
    items = []
    for record in flagged:
        open_pairs = [c for c in record.possible_duplicates
                      if uuid.UUID(c) != record.child_id and _pair(record.child_id, uuid.UUID(c)) not in resolved]
        if not open_pairs:
            continue
        item = _item("possible_duplicate", record, now, None, False,
                     f"Flagged on {_day(record.submitted_at)}: may be the same child as another record")
        item["possible_duplicate_of"] = open_pairs
        items.append(item)
    return items


def _resolved_pairs(session: Session, children: Iterable[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Pairs a person said are different children, and pairs merged (and not unmerged)."""
    ids = list(children)
    if not ids:
        return set()
    distinct = session.exec(select(DistinctChildren).where(
        or_(col(DistinctChildren.child_a).in_(ids), col(DistinctChildren.child_b).in_(ids)))).all()
    merged = session.exec(select(ChildMerge).where(
        col(ChildMerge.undone_at).is_(None),
        or_(col(ChildMerge.survivor_id).in_(ids), col(ChildMerge.merged_id).in_(ids)))).all()
    return ({_pair(d.child_a, d.child_b) for d in distinct}
            | {_pair(m.survivor_id, m.merged_id) for m in merged})


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if str(a) < str(b) else (b, a)


# --- one item ---------------------------------------------------------------------------------------

def _item(reason: Reason, record: ReferralRecord, now: datetime, due: datetime | None, overdue: bool,
          text: str) -> dict[str, Any]:
    referral = record.referral
    child = referral.get("child") or {}
    setting = child.get("education_setting") or {}
    return {
        "reason": reason,
        "referral_id": str(record.id),
        "child_id": str(record.child_id),
        "submitted_at": record.submitted_at.isoformat(),
        "clock": {"due_at": due.isoformat() if due else None, "overdue": overdue, "text": text},
        "outcome": record.outcome,
        "services": [],
        "school": setting.get("name"),
        "school_urn": setting.get("urn"),
        "age_band": _age_band(child.get("date_of_birth"), now),
        "summary": _summary(reason, record),
        **({"assigned": holder} if (holder := holder_shown(record)) else {}),  # left out: nobody has picked it up
        "_due": due,
    }


def _add_services(session: Session, items: list[dict[str, Any]]) -> None:
    """Each item's open requests' services (one query for the lot)."""
    ids = {uuid.UUID(i["referral_id"]) for i in items}
    if not ids:
        return
    rows = session.exec(select(ServiceRequestRecord.referral_id, ServiceRequestRecord.service).where(
        col(ServiceRequestRecord.referral_id).in_(ids), col(ServiceRequestRecord.status).in_(OPEN))).all()
    services: dict[str, set[str]] = {}
    for referral_id, service in rows:
        services.setdefault(str(referral_id), set()).add(service)
    for item in items:
        item["services"] = sorted(services.get(item["referral_id"], ()))


def _dead_letter_item(event: DeadEvent) -> dict[str, Any]:
    why = error_words(event.last_error, event.event_type)
    return {
        "reason": "dead_letter", "referral_id": None, "child_id": None, "submitted_at": None,
        "clock": {"due_at": None, "overdue": False, "text": "Could not be processed; waiting for an administrator"},
        "outcome": None, "services": [], "school": None, "school_urn": None, "age_band": None,
        "summary": why,  # what it is and how often it failed: the portal says them from `dead_letter`
        "dead_letter": dead_letter_views.letter_view(event),
        "_due": None,
    }


def _urgency(item: dict[str, Any]) -> tuple[int, datetime, str]:
    """Emergencies first (earliest clock first), then overdue clocks, then the rest by clock; no clock last."""
    rank = 0 if item["reason"] == "emergency" else 1 if item["clock"]["overdue"] else 2
    due = item["_due"] or datetime.max.replace(tzinfo=LONDON)
    return rank, due, item["submitted_at"] or ""


def _summary(reason: Reason, record: ReferralRecord) -> str:
    referral = record.referral
    concerns = ", ".join(label(c) for c in referral.get("concerns", ())) or "none given"
    about = f"Concerns: {concerns}. Effect on daily life: {label(referral.get('impact') or 'not given')}"
    about += f", for {in_sentence(referral['duration'])}." if referral.get("duration") else "."
    if reason == "emergency":
        return f"Emergency: no contact recorded yet. {about}"
    if reason in WORDS:
        return f"The referral {WORDS[reason]}. {about}"
    if reason == "needs_information":
        missing = ", ".join(label(m) for m in (record.decision or {}).get("missing", ())) or "details"
        return f"Waiting for missing information: {missing}. {about}"
    return f"This child may already be known under another record. {about}"


def _age_band(born: str | None, now: datetime) -> AgeBand | None:
    if not born:
        return None
    age = age_on(datetime.fromisoformat(born).date(), now.astimezone(LONDON).date())
    return next((band for band, (low, high) in AGE_BANDS.items() if low <= age <= high), None)


def _day(instant: datetime) -> str:
    return day(instant)


def _when(instant: datetime) -> str:
    return day(instant, time=True)


def _left(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} hour{'s' * (hours != 1)}"] if hours else []) + [f"{minutes} minute{'s' * (minutes != 1)}"]
    return " ".join(parts)
