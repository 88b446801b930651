"""Intake's view models (schemas/views: referrals, reports) against what intake makes: the states and stand-in
priority intake writes, every report's rows passed through their model unchanged (keys, their order, which is the
CSV's columns, and values), and a DSR candidate's details refused in a decision shown (issue 21, item 4)."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from schemas.views import shown
from schemas.views.referrals import AWAITING_DECISION, ReferralState, RequestShown, TriagesDecision
from schemas.views.reports import REPORT_ROWS, AdviceReportRow
from services.intake.advice.report import COUNTS
from services.intake.referrals import domain
from services.intake.reports.domain import (
    Change,
    DecisionRow,
    OverrideRow,
    disagreement,
    disclosed,
    disclosed_disagreement,
)
from services.intake.reports.routes import ReportName
from services.intake.reports.views import named
from tests.unit.test_reports import REFERRALS, REQUESTS


def test_a_referrals_states_are_intakes() -> None:
    assert set(get_args(ReferralState)) == {s.value for s in domain.ReferralStatus}


def request(**changes: Any) -> dict[str, Any]:
    return {"service_request_id": str(uuid.uuid4()), "service": "salt", "pathway": "community", "priority": "urgent",
            "due_by": "2026-11-02T09:00:00+00:00", "held": False, "status": "created", "breached": False,
            "redirect_of": None} | changes


def test_a_request_a_service_told_of_before_its_decision_is_shown_with_intakes_stand_in_priority() -> None:
    assert AWAITING_DECISION == domain.AWAITING_DECISION
    stand_in = request(pathway="", priority=domain.AWAITING_DECISION)
    assert shown(RequestShown, stand_in) == stand_in
    with pytest.raises(ValidationError):
        shown(RequestShown, request(priority="whenever"))


def test_every_report_has_a_model() -> None:
    assert set(REPORT_ROWS) == {*get_args(ReportName), "disagreement"}  # the front door reads it too: its own route


def rows_of(name: str) -> list[dict[str, Any]]:
    if name == "disagreement":
        people = [OverrideRow("r1", (Change("close"),))]
        rows = disclosed_disagreement(disagreement([DecisionRow("r1", ("a.rule",)), DecisionRow("r2", ("b",))], people),
                                      5)
        return [named(row, {"a.rule": "A rule, in words."}) for row in rows]  # "b": a rule no longer in force
    return disclosed(REFERRALS, REQUESTS, 5)[name]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(REPORT_ROWS))
def test_a_reports_rows_pass_through_its_model_unchanged(name: str) -> None:
    """The same keys in the same order (the CSV's columns) and the same values, suppressed ones included."""
    rows = rows_of(name)
    assert rows and any(row["suppressed"] for row in rows)  # the sample has suppressed rows to show
    model = REPORT_ROWS[name]
    for row in rows:
        answer = shown(model, row)
        assert answer == row
        assert list(answer) == list(row) == list(model.model_fields)


def test_the_advice_reports_columns_are_its_models() -> None:
    assert list(AdviceReportRow.model_fields) == ["week_starting", "school", "concern", *COUNTS, "suppressed"]


def decision(**dsr: Any) -> dict[str, Any]:
    return {"referral_id": str(uuid.uuid4()), "child_id": str(uuid.uuid4()), "decided_at": "2026-11-02T09:00:00Z",
            "ruleset_version": "2026.11", "outcome": "routed", "routes": [], "missing": [],
            "dsr": {"candidate": True, "suggested_rating": "amber", "consent": "given", "reasons": ["dsr.x"]} | dsr,
            "explanation": [{"rule_id": "history", "because": "The front door also took into account ..."}]}


def test_a_decision_shown_keeps_its_json_and_never_names_the_dsr_candidate() -> None:
    plain = decision()
    assert shown(TriagesDecision, plain) == plain
    with pytest.raises(ValidationError):
        shown(TriagesDecision, decision(person={"given_name": "Sam", "family_name": "Lee",
                                                "date_of_birth": "2014-05-01"}))
