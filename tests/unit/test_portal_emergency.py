"""Issue 20, item 3: what an emergency says to the person who made it. Pure parts, table-driven: when an
emergency is due, in GOV.UK time style and London time ("by 3:40pm today"); which risks the ruleset in force
makes an emergency (read off the file, never a list in the portal); the council's emergency contacts as settings."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from services.common.settings import Settings
from services.policy.ruleset import compile_ruleset, load_ruleset
from services.portal.emergency import contacts, due_words, emergency_risks
from tests.cases import reference_ruleset


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "now", "words"),
    [
        (utc("2026-12-07T15:40"), utc("2026-12-07T11:40"), "by 3:40pm today"),  # GMT: London is UTC
        (utc("2026-12-08T09:00"), utc("2026-12-07T20:00"), "by 9am tomorrow"),  # GOV.UK: 9am, not 9:00am
        (utc("2026-12-08T15:40"), utc("2026-12-06T10:00"), "by 3:40pm on 8 December 2026"),
        (utc("2026-12-07T09:05"), utc("2026-12-07T08:00"), "by 9:05am today"),
        (utc("2026-12-07T12:00"), utc("2026-12-07T08:00"), "by midday today"),
        (utc("2026-12-08T00:00"), utc("2026-12-07T21:00"), "by midnight tonight"),
        (utc("2026-12-09T00:00"), utc("2026-12-07T21:00"), "by midnight at the end of 8 December 2026"),
        (utc("2026-06-01T14:40"), utc("2026-06-01T11:00"), "by 3:40pm today"),  # BST: London is UTC+1
        (utc("2026-06-01T23:30"), utc("2026-06-01T21:00"), "by 12:30am tomorrow"),  # 00:30 on 2 June in London
        (utc("2026-06-01T22:30"), utc("2026-06-01T23:10"), "by 11:30pm on 1 June 2026"),  # after midnight in London
        (utc("2026-12-31T23:59"), utc("2026-12-31T20:00"), "by 11:59pm today"),
        (utc("2027-01-01T01:00"), utc("2026-12-31T20:00"), "by 1am tomorrow"),  # across the year
        ("2026-12-07T15:40:00+00:00", utc("2026-12-07T11:40"), "by 3:40pm today"),  # as the API gives it
        ("2026-12-07T15:40:00Z", "2026-12-07T11:40:00+00:00", "by 3:40pm today"),
        ("not a time", utc("2026-12-07T11:40"), "by not a time"),
    ],
)
def test_an_emergency_is_due_by_a_time_in_london_words(due: Any, now: Any, words: str) -> None:
    assert due_words(due, now) == words


def _reference() -> dict[str, Any]:
    data: dict[str, Any] = reference_ruleset()
    return data


def _variant(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_reference())
    change(data)
    return data


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for s in data["stages"] for r in s["rules"] if r["id"] == rule_id)


def _add_to_group(data: dict[str, Any]) -> None:
    data["groups"]["EMERGENCY"].append("risk_to_others")


def _named_differently(data: dict[str, Any]) -> None:
    data["groups"]["CRISIS"] = data["groups"].pop("EMERGENCY")
    data["conditions"]["emergency_risk"] = {"intersects": {"fact": "risks", "group": "CRISIS"}}


def _a_value_in_the_rule(data: dict[str, Any]) -> None:
    _rule(data, "semh.emergency")["when"] = {"any": [{"is": "emergency_risk"},
                                                     {"contains": {"fact": "risks", "value": "self_harm_recent"}}]}


def _except(data: dict[str, Any]) -> None:
    data["conditions"]["emergency_risk"] = {"intersects": {"fact": "risks", "group": "EMERGENCY",
                                                           "except": ["psychosis_signs"]}}
    _rule(data, "scope.out_of_scope_emergency")["when"]["all"][1] = {"is": "emergency_risk"}


def _not_an_emergency_route(data: dict[str, Any]) -> None:
    for rule_id in ("semh.emergency", "scope.out_of_scope_emergency"):
        for action in _rule(data, rule_id)["then"]:
            if "route" in action:
                action["route"]["priority"] = "urgent"


def _a_risk_that_prevents(data: dict[str, Any]) -> None:
    unless = {"not": {"contains": {"fact": "risks", "value": "risk_to_others"}}}
    _rule(data, "semh.emergency")["when"] = {"all": [{"is": "emergency_risk"}, unless]}


@pytest.mark.parametrize(
    ("change", "risks"),
    [
        (lambda data: None, {"suicide_plan_or_intent", "psychosis_signs"}),
        (_add_to_group, {"suicide_plan_or_intent", "psychosis_signs", "risk_to_others"}),
        (_named_differently, {"suicide_plan_or_intent", "psychosis_signs"}),
        (_a_value_in_the_rule, {"suicide_plan_or_intent", "psychosis_signs", "self_harm_recent"}),
        (_except, {"suicide_plan_or_intent"}),
        (_not_an_emergency_route, set()),
        (_a_risk_that_prevents, {"suicide_plan_or_intent", "psychosis_signs"}),  # a risk under `not` is not one
    ],
    ids=["reference", "group grows", "group renamed", "value in a rule", "except", "no emergency route",
         "not"],
)
def test_the_emergency_risks_are_those_the_ruleset_routes_at_emergency(change: Any, risks: set[str]) -> None:
    ruleset = compile_ruleset(_variant(change), source="test.yaml", digest="0")
    assert emergency_risks(ruleset) == frozenset(risks)


def test_the_shipped_ruleset_s_emergency_risks() -> None:
    assert emergency_risks(load_ruleset()) == frozenset({"suicide_plan_or_intent", "psychosis_signs"})


def test_the_contacts_are_settings_with_a_demo_council_s_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = contacts(Settings())
    assert "999" in shipped.danger
    assert shipped.duty_number.startswith("01632 960")  # Ofcom's drama range: plainly not a real council's number
    assert shipped.out_of_hours_number.startswith("01632 960")
    monkeypatch.setenv("EMERGENCY_DUTY_NUMBER", "01234 567890")
    monkeypatch.setenv("EMERGENCY_CRISIS_LINE_NAME", "Our crisis line")
    monkeypatch.setenv("EMERGENCY_OUT_OF_HOURS_NUMBER", "01234 000111")
    council = contacts(Settings())
    assert (council.duty_number, council.crisis_line_name, council.out_of_hours_number) == (
        "01234 567890", "Our crisis line", "01234 000111")


SUICIDE_PLAN = {"referral": {"risks": ["suicide_plan_or_intent"]}, "decision": None, "service_requests": []}
CRISIS = {"priority": "emergency", "due_by": "2026-12-07T15:40:00+00:00", "service": "semh", "pathway": "crisis"}


@pytest.mark.parametrize(
    ("view", "emergency", "due"),
    [
        (SUICIDE_PLAN, True, None),  # not decided yet: the risk it reports
        ({"referral": {"risks": ["self_harm_recent"]}, "decision": None}, False, None),
        (SUICIDE_PLAN | {"decision": {"outcome": "emergency"}, "service_requests": [CRISIS]}, True,
         "2026-12-07T15:40:00+00:00"),
        (SUICIDE_PLAN | {"decision": {"outcome": "routed"}, "service_requests": [CRISIS | {"priority": "urgent"}]},
         False, None),  # a person's decision made it urgent
        ({"referral": {}, "decision": {"outcome": "routed"},  # a person added an emergency request
          "service_requests": [CRISIS, CRISIS | {"due_by": "2026-12-07T13:00:00+00:00"}]}, True,
         "2026-12-07T13:00:00+00:00"),
        ([], False, None),  # not a referral at all
    ],
)
def test_which_referral_is_an_emergency_and_when_it_is_due(view: Any, emergency: bool, due: str | None) -> None:
    from services.portal.emergency import emergency_due, is_emergency

    assert is_emergency(view, ("suicide_plan_or_intent", "psychosis_signs")) is emergency
    assert emergency_due(view) == due
