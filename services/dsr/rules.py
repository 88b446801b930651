"""Register rules of the Dynamic Support Register (shared/design/dsr.md): pure functions, no I/O.

The register only records what a DSR meeting decides; triage can *suggest* a candidate and a
rating. These functions say what follows from a rating, a suggestion, a birthday or a consent
withdrawal, so the handlers (handlers.py) stay thin translations around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from schemas.referral import age_on
from services.common.workdays import WorkingCalendar
from services.dsr.domain import Rating, Status  # the register's vocabulary


class Track(StrEnum):
    cetr = "CETR"  # Care, Education and Treatment Review: under 18, or with an EHCP
    ctr = "CTR"  # Care and Treatment Review: adults


# How serious each rating is: blue (an inpatient) above red above amber above green (dsr.md).
SEVERITY = {Rating.green: 1, Rating.amber: 2, Rating.red: 3, Rating.blue: 4}
# Agenda order (dsr.md): red, blue, amber, green, then unrated.
AGENDA_RANK = {Rating.red: 0, Rating.blue: 1, Rating.amber: 2, Rating.green: 3, None: 4}


@dataclass(frozen=True)
class RegisterPolicy:
    """Every number the register uses, configurable (none is fixed nationally: domain brief 1.6)."""

    review_days: dict[Rating, int] = field(
        default_factory=lambda: {Rating.red: 7, Rating.amber: 14, Rating.green: 91, Rating.blue: 91}
    )
    keyworker_max_age: int = 25
    inpatient_cetr_months: int = 3
    consent_reconfirm_days: int = 365
    adult_age: int = 18
    task_due_working_days: int = 5


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    description: str
    due: date


def is_higher(suggested: Rating | None, than: Rating | None) -> bool:
    """True when `suggested` is more serious than `than` (anything is higher than no rating)."""
    if suggested is None:
        return False
    return than is None or SEVERITY[suggested] > SEVERITY[than]


def review_track(born: date, has_ehcp: bool, today: date, policy: RegisterPolicy = RegisterPolicy()) -> Track:
    """CETR under 18 or with an EHCP, CTR otherwise: turning 18 changes the track, not the entry."""
    return Track.cetr if has_ehcp or age_on(born, today) < policy.adult_age else Track.ctr


# Age bands of the register's return and counts: children, young adults (to 25, the keyworker age) and adults.
AGE_BANDS = ("0-17", "18-25", "26+")
UNKNOWN_AGE = "unknown"  # an entry made without a date of birth


def age_band(born: date | None, on: date) -> str:
    """The person's age band on `on`: "0-17", "18-25" or "26+" ("unknown" without a date of birth)."""
    if born is None:
        return UNKNOWN_AGE
    age = age_on(born, on)
    return AGE_BANDS[0] if age < 18 else AGE_BANDS[1] if age <= 25 else AGE_BANDS[2]


MAX_AGE = 120  # an older date of birth is a typing mistake


def addition_problems(*, born: date | None, has_nhs_number: bool, consent: str | None, consent_given_by: str | None,
                      today: date, policy: RegisterPolicy = RegisterPolicy()) -> list[tuple[str, str]]:
    """The problems of an addition made directly that span its fields, by field: an adult needs an NHS number;
    consent given (or a best-interests decision) says by whom. `born` None: not a date (its own problem)."""
    out = []
    if born is not None and age_on(born, today) >= policy.adult_age and not has_nhs_number:
        out.append(("nhs_number", f"is required for a person aged {policy.adult_age} or over"))
    if consent in ("given", "best_interests") and not (consent_given_by or "").strip():
        out.append(("consent_given_by", "is required when consent is given or a best-interests decision is recorded"))
    return out


def next_review(rating: Rating, reviewed_on: date, policy: RegisterPolicy = RegisterPolicy()) -> date:
    """The default next review date after a review that set `rating`."""
    return reviewed_on + timedelta(days=policy.review_days[rating])


def tasks_for_rating(
    rating: Rating, *, born: date, has_keyworker: bool, today: date, calendar: WorkingCalendar,
    policy: RegisterPolicy = RegisterPolicy(),
) -> list[TaskSpec]:
    """The tasks a new rating raises (dsr.md, "Rating rules the register enforces")."""
    age = age_on(born, today)
    due = calendar.nth_working_day_after(today, policy.task_due_working_days)
    keyworker = (
        [TaskSpec("keyworker_referral", "Refer to the keyworker service", due)]
        if not has_keyworker and age <= policy.keyworker_max_age
        else []
    )
    if rating is Rating.red:
        return [TaskSpec("cetr_required", "A C(E)TR must take place", due), *keyworker]
    if rating is Rating.amber:
        return [TaskSpec("mdt_or_cetr", "Hold a multi-agency meeting or a C(E)TR", due), *keyworker]
    if rating is Rating.blue and age < policy.adult_age:
        due_inpatient = today + timedelta(days=30 * policy.inpatient_cetr_months)
        return [TaskSpec("inpatient_cetr", "Inpatient C(E)TR", due_inpatient)]
    return []


def is_overdue(next_review_due: date | None, today: date) -> bool:
    return next_review_due is not None and next_review_due < today


@dataclass(frozen=True)
class CandidateOutcome:
    """What a decision suggesting a DSR candidate does to the register."""

    create: bool  # no open entry: create one
    status: Status | None = None  # for a new entry
    escalate: bool = False  # an open entry: the suggestion is higher than its rating
    next_review_due: date | None = None  # brought forward when escalating


def on_candidate(
    *, open_entry_rating: Rating | None, open_entry_suggested: Rating | None, has_open_entry: bool,
    suggested: Rating | None, consent_given: bool, today: date, calendar: WorkingCalendar,
) -> CandidateOutcome:
    """A new candidate makes a pending entry; on an open entry a higher suggestion marks escalation
    and brings the next review forward to the next working day."""
    if not has_open_entry:
        return CandidateOutcome(create=True, status=Status.pending_review if consent_given else Status.pending_consent)
    reference = open_entry_rating if open_entry_rating is not None else open_entry_suggested
    if is_higher(suggested, reference):
        return CandidateOutcome(create=False, escalate=True, next_review_due=calendar.nth_working_day_after(today, 1))
    return CandidateOutcome(create=False)


def on_consent_withdrawn() -> tuple[Status, bool]:
    """Withdrawn consent closes the entry and suppresses its details from the agenda."""
    return Status.closed, True


def consent_reconfirm_due(given_on: date, policy: RegisterPolicy = RegisterPolicy()) -> date:
    return given_on + timedelta(days=policy.consent_reconfirm_days)


@dataclass(frozen=True)
class AgendaItem:
    entry_id: str
    status: Status
    rating: Rating | None
    escalation_suggested: bool
    next_review_due: date | None


def on_agenda(item: AgendaItem, today: date, horizon_days: int = 7) -> bool:
    """Pending review, escalation suggested, or a review due within the horizon (or overdue)."""
    if item.status is Status.closed:
        return False
    if item.status is Status.pending_review or item.escalation_suggested:
        return True
    return item.next_review_due is not None and item.next_review_due <= today + timedelta(days=horizon_days)


def agenda_order(items: list[AgendaItem]) -> list[AgendaItem]:
    """Pending and escalation-suggested first; then red, blue, amber, green; then by due date."""
    far = date.max
    return sorted(
        items,
        key=lambda i: (
            0 if (i.status is Status.pending_review or i.escalation_suggested) else 1,
            AGENDA_RANK[i.rating],
            i.next_review_due or far,
            i.entry_id,
        ),
    )


# --- the whole-register view: its age bands, when the next review falls, filters, counts and order ----------------

# Finer than the return's bands: 14 is when planning for adulthood starts (Year 9), 18 the adult track, 25 the
# keyworker age.
REGISTER_AGE_BANDS = ("0-13", "14-17", "18-25", "26+")
REVIEW_WHEN = ("overdue", "due_14_days", "later", "not_set")
SOON_DAYS = 14


def register_band(born: date | None, on: date) -> str:
    """The person's band in the register view on `on` ("unknown" without a date of birth)."""
    if born is None:
        return UNKNOWN_AGE
    age = age_on(born, on)
    return next(band for band, below in zip(REGISTER_AGE_BANDS, (14, 18, 26, None), strict=True)
                if below is None or age < below)


def review_when(next_review_due: date | None, today: date) -> str:
    """When the next review falls: overdue (before today), due in the next 14 days (today included), later, or not
    set (an entry waiting for its first review)."""
    if next_review_due is None:
        return "not_set"
    if next_review_due < today:
        return "overdue"
    return "due_14_days" if next_review_due <= today + timedelta(days=SOON_DAYS) else "later"


@dataclass(frozen=True)
class RegisterRow:
    """An open entry as the register view filters it: its value for each filter ("rating": "red" or "unrated",
    "source", "age_band", "next_review", "track") and its next review date."""

    key: str
    facets: dict[str, str]
    next_review_due: date | None


def kept(row: RegisterRow, chosen: dict[str, list[str]], *, leave_out: str | None = None) -> bool:
    """Whether the filters keep `row`: it matches every filter with a choice (any one of its choices); a filter with
    nothing chosen keeps everything. `leave_out`: that filter is not applied (to count its own choices)."""
    return all(not values or row.facets.get(name) in values
               for name, values in chosen.items() if name != leave_out)


def facet_counts(rows: list[RegisterRow], chosen: dict[str, list[str]],
                 choices: dict[str, tuple[str, ...]]) -> dict[str, dict[str, int]]:
    """How many entries each choice of each filter would show, with the other filters as chosen (so a count beside
    a choice is what ticking it, and only it, in that filter shows)."""
    counts = {}
    for name, values in choices.items():
        others = [r for r in rows if kept(r, chosen, leave_out=name)]
        counts[name] = {v: sum(r.facets.get(name) == v for r in others) for v in values}
    return counts


def register_order(rows: list[RegisterRow], *, latest_first: bool = False) -> list[RegisterRow]:
    """By next review, soonest (or latest) first; entries without one last, in the order given."""
    dated = sorted((r for r in rows if r.next_review_due is not None),
                   key=lambda r: (r.next_review_due, r.key), reverse=latest_first)
    return dated + [r for r in rows if r.next_review_due is None]
