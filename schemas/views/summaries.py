"""What intake answers for a referral's summary to share with the child's family or school
(`GET /referrals/{referral_id}/summary`): the referral in plain words as its referrer may tell it, less what the
safeguarding hub (MASH) has yet to decide (services/intake/summaries/domain.py)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from schemas.views import View


class ChildNamed(View):
    name: str
    date_of_birth: date
    school: str | None = Field(None, description="The child's school or setting, when given")


class MadeBy(View):
    name: str
    role: str = Field(description="Their role in words ('Special educational needs coordinator (SENCO)')")
    organisation: str | None


class NextStep(View):
    """Who will be in touch: a service and what happens next, in a sentence with its date in words."""

    service: str = Field(description="The service's name in words")
    what: str = Field(description="What happens next, by when: 'will look at the request and reply by 7 January 2027'")


class FamilySummary(View):
    """A referral as its family or school may read it. Nothing of other referrers' activity (the referrer's own view,
    services/intake/referrals/disclosure.py); while MASH has not decided, nothing of its request, the requests held
    for it, its reasons or the worries it looks at (`left_out` then true, for the page, never printed)."""

    referral_id: uuid.UUID
    reference: str = Field(description="The referral's short reference, as its pages show it")
    child: ChildNamed
    made_on: date
    made_by: MadeBy
    concerns: list[str] = Field(description="What the referral is about, in words")
    risks: list[str] = Field(description="The risks the referral mentions, in words")
    decided: str = Field(description="What was decided, in a sentence")
    decided_on: date | None
    why: list[str] = Field(description="Why, a sentence each, in the policy's words")
    next_steps: list[NextStep]
    left_out: bool = Field(description="Something is left out until the safeguarding hub has decided")
