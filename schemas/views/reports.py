"""What intake's commissioning reports answer (aggregates only, no child records): each report's rows
(`/reports/{name}`), the reports page's figures (`/reports/overview`) and the advice report's rows
(`/reports/advice`).

Small numbers are suppressed (services/intake/reports/domain.py, "disclosure control"): a suppressed count is
null, its row saying `"suppressed": true` (false otherwise), one marker for every reason a count is hidden. A week
is the Monday it starts on, London time."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from schemas.enums import Concern, Outcome, Service
from schemas.lifecycle import RequestStatus
from schemas.views import View

ROW_SUPPRESSED = "Whether a number of this row is suppressed (null)"
SUPPRESSED = "Null when suppressed (a small number, or one that would give a suppressed number back)"
WEEK = "The Monday the week starts on (London time)"
NO_SETTING = "A school's name, or '(no education setting)'"


class Row(View):
    """A row of figures. Each ends with `suppressed`, its fields in the order of the report's CSV columns."""


class ReferralsByWeek(Row):
    """Referrals by decision outcome (`service` "all"), and service requests by service and status, per week."""

    week_starting: date = Field(description=WEEK)
    service: Service | Literal["all"] = Field(description="'all' for the referrals, else the requests of a service")
    outcome: Outcome | RequestStatus | Literal["undecided"] = Field(
        description="The referrals' decision outcome ('undecided' before triage decides), or the requests' status")
    count: int | None = Field(description=SUPPRESSED)
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class WaitingTimes(Row):
    """Days from a referral to a service accepting its request, per service, over the accepted requests."""

    service: Service
    accepted: int | None = Field(description=SUPPRESSED)
    median_days: float | None = Field(description=f"One decimal place. {SUPPRESSED}")
    p90_days: float | None = Field(description=f"90th percentile by nearest rank, one decimal place. {SUPPRESSED}")
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class Breaches(Row):
    """Requests not accepted by their due date, per service."""

    service: Service
    requests: int | None = Field(description=SUPPRESSED)
    breached: int | None = Field(description=SUPPRESSED)
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class ConcernsBySchool(Row):
    """Referrals raising a concern, by school: every school in the period by every concern in it, zeros included
    (a zero is suppressed like a small count)."""

    school: str = Field(description=NO_SETTING)
    concern: Concern
    count: int | None = Field(description=SUPPRESSED)
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class Disagreement(Row):
    """Per rule: the decisions it was part of, how many people overrode, and what they changed, by kind."""

    rule_id: str
    rule: str | None = Field(description="The rule in words: its reason in the ruleset in force, each fact it names "
                                         "in words (null: a rule that ruleset no longer has)")
    fired: int | None = Field(description=f"Decisions the rule was part of. {SUPPRESSED}")
    overridden: int | None = Field(description=f"Of those, decisions a person changed. {SUPPRESSED}")
    route_added: int | None = Field(description=SUPPRESSED)
    route_withdrawn: int | None = Field(description=SUPPRESSED)
    priority_up: int | None = Field(description=SUPPRESSED)
    priority_down: int | None = Field(description=SUPPRESSED)
    closed: int | None = Field(description=SUPPRESSED)
    suppressed: bool = Field(description=ROW_SUPPRESSED)


ReportRows = (list[ReferralsByWeek] | list[WaitingTimes] | list[Breaches] | list[ConcernsBySchool]
              | list[Disagreement])
REPORT_ROWS: dict[str, type[Row]] = {
    "referrals-by-week": ReferralsByWeek, "waiting-times": WaitingTimes, "breaches": Breaches,
    "concerns-by-school": ConcernsBySchool, "disagreement": Disagreement,
}


class WeekTotal(Row):
    week_starting: date = Field(description=WEEK)
    count: int | None = Field(description=f"Referrals. {SUPPRESSED}")
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class ServiceTotal(Row):
    service: Service
    count: int | None = Field(description=f"Requests. {SUPPRESSED}")
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class ConcernTotal(Row):
    concern: Concern
    count: int | None = Field(description=f"Referrals raising it. {SUPPRESSED}")
    suppressed: bool = Field(description=ROW_SUPPRESSED)


class Overview(View):
    """Every figure of the portal's reports page: the five reports (referrals by week split into the referrals'
    rows and the services' rows) and the totals its charts show."""

    weeks: int = Field(description="The period: the last this many weeks")
    small_number_threshold: int = Field(description="Counts from 1 to this less one are suppressed")
    per_week: list[WeekTotal]
    per_service: list[ServiceTotal]
    per_concern: list[ConcernTotal] = Field(description="Most first, then the suppressed ones")
    referrals_by_week: list[ReferralsByWeek] = Field(description="The rows of service 'all': referrals by outcome")
    by_service: list[ReferralsByWeek] = Field(description="The other rows: requests by service and status")
    waiting_times: list[WaitingTimes]
    breaches: list[Breaches]
    concerns_by_school: list[ConcernsBySchool]
    disagreement: list[Disagreement]


class AdviceReportRow(Row):
    """Advice requests in a week: the week's totals row (school and concern "all", each request once), then each
    school in the period by each concern in the period, zeros included (a zero suppressed like a small count)."""

    week_starting: date = Field(description=WEEK)
    school: str = Field(description=f"{NO_SETTING}; 'all' on the week's totals row")
    concern: Concern | Literal["all"] = Field(description="'all' on the week's totals row")
    requests: int | None = Field(description=SUPPRESSED)
    answered_within_level: int | None = Field(description=f"Answered within the service level. {SUPPRESSED}")
    answered_late: int | None = Field(description=SUPPRESSED)
    awaiting_answer: int | None = Field(description=SUPPRESSED)
    became_referral_within_12_weeks: int | None = Field(
        description=f"Made into a referral ('make a referral from this') within 84 days. {SUPPRESSED}")
    suppressed: bool = Field(description=ROW_SUPPRESSED)
