"""What the worklists announce: the `ServiceOutcome` event for each thing done to a request, and what a worker is
told of a request in words: the child's age and the clock it runs on (pure; the rules for what may be done are in
`rules.py`, the lifecycle in `schemas/lifecycle.py`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from schemas import ServiceOutcome
from schemas.enums import OutcomeEventType, Service
from services.common.ids import derived_id
from services.common.workdays import WorkingCalendar
from services.worklists.tables import WorklistItem

MASH_SIGNPOST = "Safeguarding (MASH) decision"  # the signpost of a held request MASH declines
BREACH_JOB = "breach-job"  # the `by` of a breach


def outcome_event(item: WorklistItem, kind: OutcomeEventType, *, by: str, now: datetime,
                  event_id: uuid.UUID | None = None, by_name: str | None = None, **fields: Any) -> ServiceOutcome:
    """`kind` happened to `item` (a fresh event id unless one is given), done by `by` (and `by_name`, their display
    name, when their token gave one)."""
    return ServiceOutcome(
        event_id=event_id or uuid.uuid4(), occurred_at=now, correlation_id=item.referral_id, event_type=kind,
        service_request_id=item.id, referral_id=item.referral_id, child_id=item.child_id, service=Service(item.service),
        by=by, by_name=by_name, pathway=item.pathway, due_by=item.due_by, **fields,
    )


def breach_event(item: WorklistItem, now: datetime) -> ServiceOutcome:
    """The request was not accepted by its due date. Its id is derived from the request, so a
    replayed claim yields the very same event."""
    return outcome_event(item, OutcomeEventType.breached, by=BREACH_JOB, now=now,
                         event_id=derived_id(item.id, "service_request.breached"))


MONTHS_UNTIL = 2  # under this age in years, an age is given in months


def child_age(born: str | None, today: date) -> str | None:
    """The child's age on `today` in words: whole years ("12 years"), or whole months under 2 ("14 months", "Under
    1 month"). A month is reached on the same day of a later month, or on the 1st after it when that month is too
    short (born 31 January: a month old on 1 March); a 29 February birthday is reached on 1 March in other years.
    None when there is no date of birth (not shared with the service), it cannot be read, or it is after today."""
    try:
        birth = date.fromisoformat(born or "")
    except ValueError:
        return None
    if birth > today:
        return None
    months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
    if months >= MONTHS_UNTIL * 12:
        return f"{months // 12} years"
    return "Under 1 month" if months == 0 else f"{months} month{'' if months == 1 else 's'}"


def clock_words(received_at: datetime, due_by: datetime, priority: str, calendar: WorkingCalendar) -> str:
    """The clock a request runs on, from when it was received to its due date, in words: "4 hours from when it was
    received" for an emergency, else the working days ("10 working days from when it was received"). Read from the
    request's own dates, so it is the clock it was given even after the rules change."""
    if priority == "emergency":
        hours = round((due_by - received_at).total_seconds() / 3600)
        return f"{hours} hour{'' if hours == 1 else 's'} from when it was received"
    first, last = calendar.local_day(received_at), calendar.local_day(due_by)
    days = sum(calendar.is_working_day(date.fromordinal(d)) for d in range(first.toordinal() + 1,
                                                                          last.toordinal() + 1))
    return f"{days} working day{'' if days == 1 else 's'} from when it was received"
