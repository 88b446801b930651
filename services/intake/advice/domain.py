"""Advice without a formal referral, as rules (pure): which service's advice list a request goes to, when its
answer is due, whether it is overdue or was answered within the level, who may see and answer it, and the
answer form. The policy (service level, concern -> service) is the triage ruleset's `advice` section: data, read by
the policy (`services/policy/advice.py`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from schemas.enums import Service
from schemas.views.advice import AdviceState as State
from schemas.views.advice import NextStep
from services.common.auth import Principal
from services.common.http import TypedText
from services.common.workdays import WorkingCalendar
from services.policy.advice import AdvicePolicy

Wanted = Literal["unanswered", "answered", "all"]


def answer_due(asked_at: datetime, policy: AdvicePolicy, calendar: WorkingCalendar) -> date:
    """The nth working day after the local day the question was asked (n: the policy's service level)."""
    return calendar.nth_working_day_after(calendar.local_day(asked_at), policy.answer_within_working_days)


def answered_in_time(answered_at: datetime, due: date, calendar: WorkingCalendar) -> bool:
    """Answered within the level: the local day of the answer is the due day or before."""
    return calendar.local_day(answered_at) <= due


def overdue(now: datetime, due: date, answered_at: datetime | None, calendar: WorkingCalendar) -> bool:
    """Still unanswered after its due day (local)."""
    return answered_at is None and calendar.local_day(now) > due


def state_of(answered_at: datetime | None) -> State:
    return "awaiting_answer" if answered_at is None else "answered"


def shown(answered_at: datetime | None, wanted: Wanted) -> bool:
    return wanted == "all" or (answered_at is None) == (wanted == "unanswered")


def worker_services(by: Principal) -> frozenset[str]:
    """The services `by` works for (roles `worker:<service>`)."""
    return frozenset(role.split(":", 1)[1] for role in by.roles if role.startswith("worker:"))


def may_see(by: Principal, *, asked_by: str, service: str | None) -> bool:
    """The asker (a referrer), the front door, or a worker of the request's service."""
    return ("front_door" in by.roles or ("referrer" in by.roles and by.subject == asked_by)
            or (service is not None and service in worker_services(by)))


def may_answer(by: Principal, *, service: str | None) -> bool:
    """The front door, or a worker of the request's service."""
    return "front_door" in by.roles or (service is not None and service in worker_services(by))


class AnswerForm(BaseModel):
    """An answer to an advice request: the advice, and perhaps a suggested next step (a referral to one service,
    strategies to try first, or no referral needed). `answer` is free text: never logged."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={  # the rule below, stated in the schema too
        "if": {"required": ["refer_to"], "properties": {"refer_to": {"type": "string"}}},
        "then": {"required": ["next_step"], "properties": {"next_step": {"const": "make_referral"}}}})
    answer: Annotated[str, TypedText(10, 4000)]
    next_step: NextStep | None = None
    refer_to: Service | None = None

    @field_validator("refer_to")
    @classmethod
    def _only_with_a_referral(cls, value: Service | None, info: ValidationInfo) -> Service | None:
        if value is not None and info.data.get("next_step", "make_referral") != "make_referral":
            raise ValueError("give a service only when the next step is make_referral")
        return value
