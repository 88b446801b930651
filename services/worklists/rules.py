"""Service request lifecycle (worklists.md; FHIR Task statuses in brackets): pure rules.

created (requested) -> accepted (accepted) -> completed (completed)
created -> declined (rejected: reason and signpost required) | redirected (to another service)
A held request (under a safeguarding route) cannot be accepted until MASH releases it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PRIORITY_RANK = {"emergency": 0, "urgent": 1, "soon": 2, "routine": 3}
OPEN = ("created", "accepted")
NOT_YET_ACCEPTED = ("created",)

# action -> statuses it may start from
TRANSITIONS = {
    "accept": ("created",),
    "decline": ("created",),
    "redirect": ("created", "accepted"),
    "complete": ("accepted",),
}
RESULT = {"accept": "accepted", "decline": "declined", "redirect": "redirected", "complete": "completed"}


class ActionRefusedError(Exception):
    """The action is not allowed from the request's current state; the message says why."""


def check_action(action: str, *, status: str, held: bool) -> str:
    """The status after `action`, or ActionRefusedError."""
    if held and action in ("accept", "complete"):
        raise ActionRefusedError("held under a safeguarding route until MASH releases it")
    allowed = TRANSITIONS[action]
    if status not in allowed:
        raise ActionRefusedError(f"cannot {action} a request that is {status}")
    return RESULT[action]


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
