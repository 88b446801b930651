"""What intake's advice API answers: a new request's receipt, a question's warnings, and a request with its answer
(listed or one). A referrer reading their own requests also sees the referral they made from each
(`referral_id`); the front door and the services' workers do not (the key is left out)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from schemas.advice import FindingKind
from schemas.enums import Concern, Service
from schemas.views import View

NextStep = Literal["make_referral", "try_strategies", "no_referral_needed"]
AdviceState = Literal["awaiting_answer", "answered"]
ADVICE_LIST = "The service whose advice list it went to (its concerns point to it), or none: the front door's only"


class FindingShown(View):
    """Something in the question that seems to identify a child (never the text it matched)."""

    kind: FindingKind
    message: str = Field(description="What to remove, in words for the person asking")


class Checked(View):
    """What a question would be warned about (nothing is saved)."""

    warnings: list[FindingShown]


class Asked(View):
    """A request received: where it went, when its answer is due, and what the question was warned about."""

    advice_id: uuid.UUID
    service: Service | None = Field(description=ADVICE_LIST)
    answer_due: date = Field(description="The last working day for an answer (the policy's service level)")
    warnings: list[FindingShown]


class AdviceItem(View):
    """An advice request and, once answered, its answer."""

    advice_id: uuid.UUID
    asked_at: str = Field(description="ISO 8601, as stored")
    question: str
    concerns: list[Concern]
    year_group: int | None
    age: int
    school: str | None = Field(description="The education setting's name, if given")
    service: Service | None = Field(description=ADVICE_LIST)
    answer_due: date = Field(description="The last working day for an answer (the policy's service level)")
    overdue: bool = Field(description="Still unanswered after its due day")
    state: AdviceState
    answer: str | None
    next_step: NextStep | None = Field(description="The next step the answer suggests, if any")
    refer_to: Service | None = Field(description="With make_referral: the service suggested")
    answered_by: str | None
    answerer: str | None = Field(None, description=(
        "Who answered, in words: their name and team ('Kim Evans, Speech and language therapy'), or the team only "
        "for the referrer who asked; never a login id"))
    answered_at: str | None = Field(description="ISO 8601, as stored")
    referral_id: uuid.UUID | None = Field(None, description=(
        "Only for the referrer who asked: the referral they made from this advice, if any"))
