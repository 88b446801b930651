"""What the worklists may do with a service request, and when it is late: pure rules over the
service-request lifecycle of `schemas/lifecycle.py` (statuses, transitions, results).

A held request (under a safeguarding route) cannot be accepted or completed until MASH releases it;
a redirect goes to another service, never the same one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.lifecycle import NOT_YET_ACCEPTED, OPEN, RESULT, TRANSITIONS, Action, RequestStatus
from services.common.errors import ConflictError

PRIORITY_RANK = {"emergency": 0, "urgent": 1, "soon": 2, "routine": 3}
NEEDS_RELEASE = (Action.accept, Action.complete)


class ActionRefusedError(ConflictError):
    """The action is not allowed from the request's current state; the message says why (409)."""


def check_action(action: str, *, status: str, held: bool, service: str | None = None,
                 redirect_to: str | None = None) -> RequestStatus:
    """The status after `action`, or ActionRefusedError. `service` and `redirect_to`, when given,
    refuse a redirect to the request's own service."""
    action = Action(action)
    if held and action in NEEDS_RELEASE:
        raise ActionRefusedError("held under a safeguarding route until MASH releases it")
    if status not in TRANSITIONS[action]:
        raise ActionRefusedError(f"cannot {action} a request that is {status}")
    if action is Action.redirect and redirect_to is not None and redirect_to == service:
        raise ActionRefusedError("redirect to another service, not this one")
    return RESULT[action]


def held_refusal(*, status: str, held: bool) -> str | None:
    """Why MASH can no longer decide on a request (in words, for the 409), or None while it is still held for MASH:
    released already (no longer held), or held but acted on (declined, redirected, withdrawn)."""
    if held and status == RequestStatus.created:
        return None
    return "This request has already been released" if not held else f"This request has already been {status}"


def queue_order_key(priority: str, due_by: datetime, request_id: str) -> tuple[int, datetime, str]:
    """Priority first, then the earliest due date."""
    return PRIORITY_RANK.get(priority, 9), due_by, request_id


@dataclass(frozen=True)
class TimeLeft:
    overdue: bool
    hours: float  # negative when overdue

    @property
    def text(self) -> str:
        hours = abs(self.hours)
        amount = f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"
        return f"overdue by {amount}" if self.overdue else f"{amount} left"


def time_left(due_by: datetime, now: datetime) -> TimeLeft:
    hours = (due_by - now).total_seconds() / 3600
    return TimeLeft(overdue=hours < 0, hours=round(hours, 1))


def is_breached(*, status: str, due_by: datetime, now: datetime) -> bool:
    """Not accepted by its due date (held requests count: the clock runs while MASH decides)."""
    return status in NOT_YET_ACCEPTED and due_by < now


# What a worker's list can show: the open requests (created or accepted), or those finished each way.
OPEN_STATE = "open"
FINISHED: tuple[RequestStatus, ...] = (RequestStatus.completed, RequestStatus.declined, RequestStatus.redirected,
                                       RequestStatus.withdrawn)
LIST_STATES: tuple[str, ...] = (OPEN_STATE, *FINISHED)
WINDOWS = (30, 90, 365)  # "received in the last N days": the choices a page offers
DEFAULT_WINDOW = 90


def statuses_of(states: Iterable[str]) -> set[str]:
    """The request statuses that the list states stand for ("open": created and accepted)."""
    return {s.value for state in states for s in (OPEN if state == OPEN_STATE else (RequestStatus(state),))}


def window_start(now: datetime, days: int) -> datetime:
    """The start of "received in the last `days` days"."""
    return now - timedelta(days=days)


def in_list(status: str, received_at: datetime, *, states: Iterable[str], days: int, now: datetime) -> bool:
    """Whether a list of `states` received in the last `days` shows a request. An open request is shown however long
    ago it came (work still to do is never hidden by the window); a finished one only when received in it."""
    if status not in statuses_of(states):
        return False
    return status in OPEN or received_at >= window_start(now, days)


def state_counts(rows: Iterable[tuple[str, datetime]], *, days: int, now: datetime) -> dict[str, int]:
    """How many requests (status, received_at) each list state shows, in the window of `days`."""
    rows = list(rows)
    return {state: sum(in_list(status, received, states=(state,), days=days, now=now) for status, received in rows)
            for state in LIST_STATES}


def list_order_key(status: str, priority: str, due_by: datetime, updated_at: datetime,
                   request_id: str) -> tuple[int, tuple[int, float, str]]:
    """Open requests first, most urgent first (queue order); then finished ones, the latest finished first."""
    if status in OPEN:
        rank, due, _ = queue_order_key(priority, due_by, request_id)
        return 0, (rank, due.timestamp(), request_id)
    return 1, (0, -updated_at.timestamp(), request_id)
