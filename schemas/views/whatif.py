"""What the policy what-if answers (POST /rulesets/whatif): what a proposed ruleset would have done to every stored
referral in the period, against the ruleset in force (services/policy/whatif.py, disclosed by
services/intake/whatif/disclosure.py). Counts only, no personal data: decisions changed by class, each service's
workload before and after, the rules that fire more or less often. A count from 1 to the threshold less one is
suppressed (null) as in the reports, and a before and after pair differing by a small count shows at most one of
the two; example referral ids are shown only to the front door, who may open those referrals."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from schemas.enums import Priority, Service
from schemas.views import View

SUPPRESSED = "Null when suppressed"


class Period(View):
    first_day: date | None = Field(description="The first submission day replayed (null: no referral)")
    last_day: date | None = Field(description="The last submission day replayed (null: no referral)")
    weeks: float = Field(description="Its length in weeks (at least 1), two decimal places")


class ChangeCounts(View):
    """Referrals whose decision would change, by class of change (one referral may count in several)."""

    outcome_changed: int | None = Field(description=SUPPRESSED)
    route_added: int | None = Field(description=SUPPRESSED)
    route_removed: int | None = Field(description=SUPPRESSED)
    pathway_changed: int | None = Field(description=SUPPRESSED)
    priority_up: int | None = Field(description=SUPPRESSED)
    priority_down: int | None = Field(description=SUPPRESSED)
    due_date_moved: int | None = Field(description=SUPPRESSED)
    held_changed: int | None = Field(description=SUPPRESSED)
    dsr_changed: int | None = Field(description=SUPPRESSED)
    missing_changed: int | None = Field(description=SUPPRESSED)


class Examples(View):
    """Up to 10 referral ids of each class of change."""

    outcome_changed: list[str]
    route_added: list[str]
    route_removed: list[str]
    pathway_changed: list[str]
    priority_up: list[str]
    priority_down: list[str]
    due_date_moved: list[str]
    held_changed: list[str]
    dsr_changed: list[str]
    missing_changed: list[str]


class Workload(View):
    """A service's requests in the period under one ruleset."""

    total: int | None = Field(description=SUPPRESSED)
    per_week: float | None = Field(
        description="The total over the period's weeks, two decimal places. Null when the total is suppressed")
    by_priority: dict[Priority, int | None] = Field(description=f"Every priority, least urgent first. {SUPPRESSED}")
    suppressed: bool = Field(description="Whether the total or a count by priority is suppressed")


class BeforeAfter(View):
    before: int | None = Field(description=SUPPRESSED)
    after: int | None = Field(description=SUPPRESSED)


class ServiceWorkloads(View):
    before: Workload = Field(description="Under the ruleset in force")
    after: Workload = Field(description="Under the proposed ruleset")
    breached: BeforeAfter | None = Field(
        description="Requests that would have been accepted after their due date, at the services' actual "
                    "acceptance times (null: no acceptance times to estimate from)")


class RuleCounts(View):
    """A rule that fires more or less often: how often it fires before and after."""

    rule_id: str
    rule: str | None = Field(None, description="The rule in words: its reason in the proposed ruleset, or in the "
                                               "ruleset in force for a rule the proposal leaves out")
    before: int | None = Field(description=SUPPRESSED)
    after: int | None = Field(description=SUPPRESSED)


class WhatIfReport(View):
    baseline: str = Field(description="The ruleset in force: its name and version")
    proposed: str = Field(description="The proposed ruleset: its name and version")
    period: Period
    referrals: int | None = Field(description=f"Referrals replayed. {SUPPRESSED}")
    changed: int | None = Field(description=f"Referrals whose decision would change. {SUPPRESSED}")
    changes: ChangeCounts
    examples: Examples | None = Field(None, description="The front door's answer only")
    services: dict[Service, ServiceWorkloads]
    rules: list[RuleCounts] = Field(description="Largest change first")
    reported_apart: dict[str, int | None] = Field(
        description=f"Decisions counted but not replayed (redirects, people's decisions), by kind. {SUPPRESSED}")
    small_number_threshold: int = Field(description="Counts from 1 to this less one are suppressed")
    suppressed: bool = Field(description="Whether any count shown is suppressed")


class RulesetInForce(View):
    """The triage ruleset in force (GET /rulesets/in-force), exactly as its file: the starting point of a what-if."""

    name: str = Field(description="The ruleset's name (its `ruleset`)")
    version: str = Field(description="Its version: the file's semver and a hash of its content")
    file_name: str = Field(description="A name to save it under, with its version")
    content: str = Field(description="The file itself, as triage reads it (YAML)")
