"""The register's vocabulary (pure, no SQL, no I/O): entry statuses and ratings, the clock the use
cases run on, the refusals, the `dsr.changes` event and the timeline's wording. The register rules
themselves (what a rating, a suggestion or a withdrawal leads to) are in `rules.py`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from schemas import DsrChanged, ServiceOutcome, TriageDecided, TriageOverridden
from schemas.enums import DsrChangeType, DsrRating, DsrSource, OutcomeEventType
from schemas.labels import day, in_sentence, label
from services.common.errors import ConflictError, NotFoundError
from services.common.ids import derived_id
from services.common.workdays import WorkingCalendar

if TYPE_CHECKING:
    from services.dsr.tables import DsrEntry

Rating = DsrRating  # one vocabulary: the rating triage suggests is the rating a meeting sets


class Status(StrEnum):
    pending_consent = "pending_consent"
    pending_review = "pending_review"
    active = "active"
    closed = "closed"


OPEN = (Status.pending_consent.value, Status.pending_review.value, Status.active.value)


class EntryNotFoundError(NotFoundError):
    message = "No register entry has this id"


class EntryClosedError(ConflictError):
    message = "the entry is closed"


class ConsentFirstError(ConflictError):
    message = "record consent (or a best-interests decision) before the first review"


class AlreadyClosedError(ConflictError):
    message = "the entry is already closed"


@dataclass(frozen=True)
class Clock:
    """Today and the working-day calendar: passed in so the use cases stay deterministic."""

    now: datetime
    calendar: WorkingCalendar

    @property
    def today(self) -> date:
        return self.calendar.local_day(self.now)


@dataclass(frozen=True)
class ActionIn:
    what: str
    owner_agency: str
    due: date


@dataclass(frozen=True)
class ReviewIn:
    """What a DSR meeting decided about one entry."""

    rating: Rating
    rationale: str
    attendees: list[dict[str, str]]
    actions: list[ActionIn]
    next_review_due: date | None
    held_on: date | None
    keyworker: str | None = None
    lead_professional: str | None = None


def rating(value: str | None) -> Rating | None:
    """A stored rating column as a Rating (None when empty)."""
    return Rating(value) if value else None


def entry_id_for(decision_id: uuid.UUID) -> uuid.UUID:
    """A new entry's id derives from the decision that made it, so a redelivery makes the same entry."""
    return derived_id(decision_id, "dsr.entry")


def person_id_for(entry_id: uuid.UUID) -> uuid.UUID:
    """The register-made person id of an entry added directly (its child_id until a children's referral
    about the same person links it to that child's record)."""
    return derived_id(entry_id, "dsr.person")


def change_event(entry: DsrEntry, kind: DsrChangeType, *, source: uuid.UUID, now: datetime,
                 by: str | None = None, by_name: str | None = None) -> DsrChanged:
    """The `dsr.changes` event announcing `kind` on `entry`: ids and states only. Its id derives from
    the input (`source`), so a redelivered input makes the very same event."""
    return DsrChanged(
        event_id=derived_id(source, kind.value, str(entry.id)), occurred_at=now, correlation_id=None, event_type=kind,
        entry_id=entry.id, child_id=entry.child_id, status=entry.status, rating=rating(entry.rating),
        suggested_rating=rating(entry.suggested_rating), escalation_suggested=entry.escalation_suggested,
        next_review_due=entry.next_review_due, by=by, by_name=by_name, source=DsrSource(entry.source),
    )


# --- what the timeline says -------------------------------------------------------------------

def routes_text(event: TriageDecided | TriageOverridden) -> str:
    routes = (f"{label(r.service)}, {in_sentence(r.pathway)} ({in_sentence(r.priority)})" for r in event.routes)
    return "; ".join(routes) or "no services"


def referred_summary(event: TriageDecided) -> str:
    """A new entry's first line."""
    return f"Referred; triage decided: {label(event.outcome)} ({routes_text(event)})"


def candidate_noted_summary(event: TriageDecided, suggested: Rating | None, *, escalate: bool) -> str:
    """A further referral of a child already on the register."""
    note = f"New referral; triage decided: {label(event.outcome)} ({routes_text(event)}); "
    return note + _suggestion(suggested, escalate=escalate)


def _suggestion(suggested: Rating | None, *, escalate: bool) -> str:
    rated = f"suggested rating {in_sentence(suggested)}" if suggested else "no rating suggested"
    return rated + ("; escalation suggested" if escalate else "")


def _decided(event: TriageOverridden) -> str:
    return f"{label(event.outcome)} ({routes_text(event)})"


def override_created_summary(event: TriageOverridden) -> str:
    """A new entry's first line when a person on the front door made the decision."""
    return f"Referred; a person on the front door ({event.decided_by}) decided: {_decided(event)}"


def override_noted_summary(event: TriageOverridden, suggested: Rating | None, *, escalate: bool) -> str:
    """A person on the front door changed the decision on a referral of a child on the register."""
    note = f"A person on the front door ({event.decided_by}) changed the decision: {_decided(event)}; "
    return note + _suggestion(suggested, escalate=escalate)


def direct_summary(*, agency: str, created: bool, diagnoses: list[str], risks: list[str], setting: str,
                   suggested: Rating | None, escalate: bool) -> str:
    """An addition made directly: who added the person (the agency), why (diagnoses, risks) and where they are."""
    what = "Added to the register directly" if created else "Added again directly (already on the register)"
    said = (f"{what} by {agency}: {', '.join(in_sentence(d) for d in diagnoses)}; "
            f"risks: {', '.join(in_sentence(r) for r in risks)}; setting: {in_sentence(setting)}; ")
    return said + _suggestion(suggested, escalate=escalate)


LINKED_SUMMARY = ("Linked to a children's referral about the same person: that child's service outcomes now reach "
                  "this timeline")


def outcome_summary(event: ServiceOutcome) -> str:
    if event.event_type is OutcomeEventType.withdrawn:
        return f"{label(event.service)}: withdrawn by the front door ({event.by})"
    verb = event.event_type.value.removeprefix("service_request.")
    return f"{label(event.service)}: {verb}" + (f" to {label(event.redirect_to)}" if event.redirect_to else "")


def review_summary(new: Rating, previous: Rating | None, due: date) -> str:
    was = f" (was {in_sentence(previous)})" if previous and previous is not new else ""
    return f"DSR review: rated {in_sentence(new)}{was}; next review {day(due)}"


def consent_summary(basis: str) -> str:
    return f"Consent recorded ({in_sentence(basis)})"


WITHDRAWN_SUMMARY = "Consent withdrawn: entry closed and details suppressed"


def closed_summary(reason: str) -> str:
    return f"Entry closed ({in_sentence(reason)})"


MERGED_SUMMARY = ("The front door found two records to be the same child and merged them: "
                  "this entry moved to the surviving record")
BOTH_OPEN = "; this child now has two open register entries and both stay open until the DSR meeting decides " \
            "which one to close"
OTHER_MERGED_IN_SUMMARY = ("The front door merged another record of this child into this one, with its own open "
                           "register entry: both stay open until the DSR meeting decides which one to close")
MERGE_UNDONE_SUMMARY = "Merge undone: the front door separated the two child records again and this entry is " \
                       "back on its own child's record"
OTHER_MERGE_UNDONE_SUMMARY = "Merge undone: the other register entry is back on its own child's record"


def merged_summary(*, both_open: bool) -> str:
    """An entry that moved to the surviving record of a merge."""
    return MERGED_SUMMARY + (BOTH_OPEN if both_open else "")
