"""What a service's workers see: its worklist in queue order, one request, the requests MASH holds,
and breach counts: the JSON the API answers, each checked against its model in schemas.views.worklists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from schemas.enums import Service
from schemas.lifecycle import OPEN, RequestStatus
from schemas.referral import london_day
from schemas.views import shown
from schemas.views.worklists import ListCounts, ListedRequest, OneRequest, ReleasedRequest
from services.common.teams import holder_shown
from services.common.workdays import WorkingCalendar
from services.worklists import rules
from services.worklists.domain import child_age, clock_words
from services.worklists.handlers import NOT_RECEIVED, RequestNotFoundError, held_items, item_of
from services.worklists.tables import WorklistItem

CHILD_FIELDS = ("given_name", "family_name", "date_of_birth")
MASH_DECIDES_FIRST = ("Held for the safeguarding hub (MASH), which decides first. The child's details and why the "
                      "request came are shown here once MASH releases it.")


def summary(item: WorklistItem, now: datetime, *, need_to_know: bool | None = None) -> dict[str, Any]:
    """A request in a list. Until MASH releases a held request (need to know: `held`), its service's workers see
    only that it exists, its service, priority and clock, and that MASH decides first: no child, referral or
    pathway. MASH itself (`need_to_know=False`) sees every held request in full."""
    left = rules.time_left(item.due_by, now)
    seen = {
        "service_request_id": str(item.id), "service": item.service, "priority": item.priority,
        "due_by": item.due_by.isoformat(), "time_left": left.text, "overdue": left.overdue, "held": item.held,
        "status": item.status, "breached": item.breached_at is not None,
        "received_at": item.received_at.isoformat(), "updated_at": item.updated_at.isoformat(),
        **({"assigned": holder} if (holder := holder_shown(item)) else {}),  # left out: nobody has picked it up
    }
    if item.held if need_to_know is None else need_to_know:
        return seen | {"mash_decides_first": True, "notice": MASH_DECIDES_FIRST}
    return seen | {
        "referral_id": str(item.referral_id), "pathway": item.pathway,
        "child": {k: item.details.get(k) for k in CHILD_FIELDS if k in item.details},
        "age": child_age(item.details.get("date_of_birth"), london_day(now)),
    }


def worklist(session: Session, service: str, now: datetime, *, pathway: str | None = None,
             status: str | Iterable[str] | None = None, held: bool | None = None,
             days: int = rules.DEFAULT_WINDOW, held_by: str | None = None,
             unassigned: bool = False) -> list[dict[str, Any]]:
    """The service's open requests, or those in the list states `status` ("open", "completed", ...: any of them),
    finished ones only when received in the last `days`; open ones first, most urgent first, then the latest
    finished. A withdrawal whose request has not arrived yet (it overtook it) is no request to show: it is listed
    once the request fills it in."""
    query = _in_window(select(WorklistItem).where(WorklistItem.service == service), now, days)
    states = (status,) if isinstance(status, str) else status or (rules.OPEN_STATE,)
    query = query.where(col(WorklistItem.status).in_(rules.statuses_of(states)))
    if pathway:  # a held request's pathway is not shown until MASH releases it, so it is not found by it either
        query = query.where(WorklistItem.pathway == pathway, WorklistItem.held == False)  # noqa: E712
    if held is not None:
        query = query.where(WorklistItem.held == held)
    if held_by is not None:  # only the requests this person (login id) holds
        query = query.where(WorklistItem.assigned_to == held_by)
    if unassigned:  # only the requests nobody holds
        query = query.where(col(WorklistItem.assigned_to).is_(None))
    items = sorted(session.exec(query).all(), key=lambda i: rules.list_order_key(
        i.status, i.priority, i.due_by, i.updated_at, str(i.id)))
    return [shown(ListedRequest, summary(i, now)) for i in items]


def _in_window(query: Any, now: datetime, days: int) -> Any:
    """Received requests only (not a withdrawal that overtook its request), open or received in the last `days`
    (rules.in_list)."""
    recent = col(WorklistItem.received_at) >= rules.window_start(now, days)
    return query.where(WorklistItem.priority != NOT_RECEIVED, or_(col(WorklistItem.status).in_(OPEN), recent))


def counts(session: Session, service: str, now: datetime, *, days: int = rules.DEFAULT_WINDOW) -> dict[str, Any]:
    """How many requests each list state shows (rules.state_counts): every open one, the finished ones received in
    the last `days`."""
    query = _in_window(select(WorklistItem.status, WorklistItem.received_at).where(WorklistItem.service == service),
                       now, days)
    return shown(ListCounts, {"received_within_days": days,
                              "counts": rules.state_counts(session.exec(query).all(), days=days, now=now)})


def view(session: Session, service: str, request_id: uuid.UUID, now: datetime,
         calendar: WorkingCalendar | None = None) -> dict[str, Any]:
    """One request of the service, with why it came, the clock it runs on (on `calendar`'s working days) and what
    became of it (a withdrawn one: who and why); a request held for MASH, only what `summary` shows until MASH
    releases it."""
    item = item_of(session, service, request_id)
    if item.priority == NOT_RECEIVED:
        raise RequestNotFoundError  # only its withdrawal has come: nothing of the request to show yet
    if item.held:
        return shown(OneRequest, summary(item, now))
    return shown(OneRequest, summary(item, now) | {
        "reasons": item.reasons, "details": item.details, "outcome_reason": item.outcome_reason,
        "signpost": item.signpost, "redirect_to": item.redirect_to, "withdrawn": withdrawal(item),
        "clock": clock_words(item.received_at, item.due_by, item.priority, calendar or WorkingCalendar()),
    })


class NoRequestAboutChildError(RequestNotFoundError):
    message = "This service has no request about this child that it may see"


def child_requests(session: Session, service: str, child_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    """The service's own requests about one child, newest first, each as `view` shows it (only the details its
    `sharing` list gave it). A request held for MASH is not shown at all: until MASH releases it, its workers may not
    know who the child is. None to show: NoRequestAboutChildError."""
    items = session.exec(select(WorklistItem).where(
        WorklistItem.service == service, WorklistItem.child_id == child_id, WorklistItem.held == False,  # noqa: E712
        WorklistItem.priority != NOT_RECEIVED).order_by(col(WorklistItem.received_at).desc())).all()
    if not items:
        raise NoRequestAboutChildError
    return [view(session, service, item.id, now) for item in items]


def withdrawal(item: WorklistItem) -> dict[str, str | None] | None:
    """Who on the front door withdrew the request, when and why (None while it is not withdrawn)."""
    if item.status != RequestStatus.withdrawn:
        return None
    who = f"{item.actor_name} (front door)" if item.actor_name else "the front door"  # a name, never a login id
    return {"by": item.actor, "at": item.updated_at.isoformat(), "reason": item.outcome_reason,
            **({"by_name": item.actor_name} if item.actor_name else {}),
            "summary": f"Withdrawn by {who}: {item.outcome_reason or 'no reason given'}"}


def held_for_referral(session: Session, referral_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    """MASH's view of a referral's held requests: in full, since MASH decides on them."""
    return [shown(ReleasedRequest, summary(i, now, need_to_know=False)) for i in held_items(session, referral_id)]


def breach_counts(session: Session) -> dict[str, int]:
    counts = {s.value: 0 for s in Service}
    for service in session.exec(select(WorklistItem.service).where(col(WorklistItem.breached_at).is_not(None))).all():
        counts[service] += 1
    return counts
