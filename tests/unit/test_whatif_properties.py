"""Issue 20 item 14, as a property: for random referral.submitted events and random small edits of the shipped
ruleset, the what-if's counts equal a plain decide-both-and-diff over the same events (each event decided under
both rulesets and the decisions compared request by request, a request being a (service, pathway)). Hypothesis,
bounded and derandomised, as tests/unit/test_contract_properties.py is: the same examples every run, seconds."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from schemas import ReferralSubmitted
from schemas.enums import Concern, KnownService, Risk
from services.policy.ruleset import DEFAULT_RULESET, RulesetError, compile_ruleset, load_ruleset
from services.policy.whatif import compare
from tests.unit.test_whatif import events, plain_diff

pytestmark = pytest.mark.property

EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BASELINE = load_ruleset()
PRIORITIES = ["routine", "soon", "urgent", "emergency"]
# Drawn more often than the rest, so a referral often gets two requests to one service (SALT's dysphagia and
# another speech and language pathway) and a child's age: the cases a comparison keyed by service alone gets wrong.
OFTEN = [Concern("feeding_swallowing"), Concern("speech_sounds"), Concern("expressive_language")]


@cache
def reference() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_RULESET.read_text())
    return data


def _routes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["route"] for stage in data["stages"] for rule in stage.get("rules", ())
            for a in rule.get("then", ()) if isinstance(a, dict) and isinstance(a.get("route"), dict)]


@st.composite
def an_event(draw: st.DrawFn, n: int) -> ReferralSubmitted:
    base = draw(st.sampled_from(events())).model_dump(mode="json")
    referral = base["referral"] | {
        "concerns": draw(st.lists(st.sampled_from(OFTEN) | st.sampled_from(list(Concern)), min_size=1, max_size=4,
                                  unique=True)),
        "risks": draw(st.lists(st.sampled_from(list(Risk)), max_size=2, unique=True)),
        "known_services": draw(st.lists(st.sampled_from(list(KnownService)), max_size=2, unique=True)),
    }
    referral["child"] = referral["child"] | {"date_of_birth": draw(st.sampled_from(
        [referral["child"]["date_of_birth"], "2012-05-01", "2016-01-15", "2019-09-30"]))}
    when = draw(st.integers(0, 200))
    submitted = ReferralSubmitted.model_validate(base).submitted_at - timedelta(days=when)
    return ReferralSubmitted.model_validate(base | {
        "referral_id": str(uuid.UUID(int=n + 1)), "referral": referral,
        "submitted_at": submitted.isoformat(), "occurred_at": submitted.isoformat()})


@st.composite
def an_edit(draw: st.DrawFn) -> dict[str, Any]:
    """The shipped ruleset with one to three small changes: a clock, a route's priority, a group's member gone."""
    data = copy.deepcopy(reference())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["clock", "clock", "priority", "group"]))
        if kind == "clock":
            table = draw(st.sampled_from(["default", *sorted(data["due"]["services"])]))
            clocks = data["due"]["default"] if table == "default" else data["due"]["services"][table]
            clocks[draw(st.sampled_from(PRIORITIES[:3]))] = {"working_days": draw(st.integers(1, 150))}
        elif kind == "priority":
            route = draw(st.sampled_from(_routes(data)))
            route["priority"] = draw(st.sampled_from(PRIORITIES))
        else:
            name = draw(st.sampled_from(sorted(g for g, members in data["groups"].items() if len(members) > 2)))
            data["groups"][name].remove(draw(st.sampled_from(data["groups"][name])))
    return data


@EXAMPLES
@given(data=st.data())
def test_the_report_counts_what_deciding_both_and_comparing_counts(data: st.DataObject) -> None:
    cases = [data.draw(an_event(n)) for n in range(data.draw(st.integers(1, 12)))]
    try:
        proposed = compile_ruleset(data.draw(an_edit()), source="proposed")
    except RulesetError:
        assume(False)
        raise
    report = compare(cases, BASELINE, proposed)
    assert (report.changed, report.by_class["due_date_moved"]) == plain_diff(cases, BASELINE, proposed)
