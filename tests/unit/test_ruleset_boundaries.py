"""The ruleset compiler at its edges: every condition kind at its boundary, combinations of one to five parts,
route selectors, the version stamp, the calendar and due time a council sets. Each test compiles inside itself
(a ruleset compiled at import would hide a broken compiler from `make mutate`)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

import pytest

from schemas import ReferralSubmitted
from services.policy.engine import decide
from services.policy.ruleset import RulesetError, Test, compile_ruleset, load_ruleset
from services.policy.state import RouteDraft, State
from tests.cases import case_files, comparable, load, reference_ruleset


def reference() -> dict[str, Any]:
    data: dict[str, Any] = reference_ruleset()
    return data


def compiled_condition(when: dict[str, Any]) -> Test:
    """`when` compiled as the register-candidate condition: a test of one State."""
    data = reference()
    data["dsr"]["candidate"]["when"] = when
    return compile_ruleset(data).dsr_candidate.test


def state(routes: tuple[RouteDraft, ...] = (), fired: tuple[str, ...] = (), **facts: Any) -> State:
    return State(facts=facts, fired=set(fired), routes=list(routes))


AGE = "age"
UNDER_11 = {"lt": {"fact": AGE, "value": 11}}
SEVERE = {"eq": {"fact": "impact", "value": "severe"}}
FIRST_REFERRAL = {"eq": {"fact": "prior", "value": 0}}
WITH_EHCP = {"eq": {"fact": "sen_status", "value": "ehcp"}}
AWARE = {"eq": {"fact": "child_aware", "value": True}}
PARTS = [UNDER_11, SEVERE, FIRST_REFERRAL, WITH_EHCP, AWARE]


def facts_where(true: set[int]) -> dict[str, Any]:
    """Facts making exactly the PARTS whose index is in `true` hold."""
    return {
        AGE: 8 if 0 in true else 12,
        "impact": "severe" if 1 in true else "mild",
        "prior": 0 if 2 in true else 3,
        "sen_status": "ehcp" if 3 in true else "none",
        "child_aware": 4 in true,
    }


@pytest.mark.parametrize(
    ("when", "age", "holds"),
    [
        ({"lt": {"fact": AGE, "value": 11}}, 10, True),
        ({"lt": {"fact": AGE, "value": 11}}, 11, False),
        ({"le": {"fact": AGE, "value": 11}}, 11, True),
        ({"le": {"fact": AGE, "value": 11}}, 12, False),
        ({"gt": {"fact": AGE, "value": 11}}, 11, False),
        ({"gt": {"fact": AGE, "value": 11}}, 12, True),
        ({"ge": {"fact": AGE, "value": 11}}, 11, True),
        ({"ge": {"fact": AGE, "value": 11}}, 10, False),
        ({"eq": {"fact": AGE, "value": 11}}, 11, True),
        ({"eq": {"fact": AGE, "value": 11}}, 12, False),
        ({"in": {"fact": AGE, "values": [4, 11]}}, 11, True),
        ({"in": {"fact": AGE, "values": [4, 11]}}, 5, False),
        ({"not": {"lt": {"fact": AGE, "value": 11}}}, 11, True),
        ({"always": True}, 11, True),
    ],
)
def test_comparisons_at_their_boundary(when: dict[str, Any], age: int, holds: bool) -> None:
    assert compiled_condition(when)(state(age=age)) is holds


@pytest.mark.parametrize("kind", ["any", "all"])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_any_and_all_of_every_size(kind: str, size: int) -> None:
    test = compiled_condition({kind: PARTS[:size]})
    everything = set(range(size))
    cases = [set(), everything] + [{i} for i in everything] + [everything - {i} for i in everything]
    for true in cases:
        expected = bool(true) if kind == "any" else true == everything
        assert test(state(**facts_where(true))) is expected, (kind, size, sorted(true))


@pytest.mark.parametrize(
    ("when", "values", "holds"),
    [
        ({"contains": {"fact": "risks", "value": "self_harm_recent"}}, {"self_harm_recent"}, True),
        ({"contains": {"fact": "risks", "value": "self_harm_recent"}}, {"risk_to_others"}, False),
        ({"intersects": {"fact": "risks", "group": "URGENT"}}, {"risk_to_others", "x"}, True),
        ({"intersects": {"fact": "risks", "group": "URGENT"}}, {"missing_episodes"}, False),
        ({"intersects": {"fact": "risks", "values": ["missing_episodes"]}}, {"missing_episodes"}, True),
        ({"intersects": {"fact": "risks", "group": "URGENT", "except": ["risk_to_others"]}}, {"risk_to_others"},
         False),
        ({"is": "emergency_risk"}, {"psychosis_signs"}, True),
        ({"is": "emergency_risk"}, {"self_harm_recent"}, False),
    ],
)
def test_set_conditions(when: dict[str, Any], values: set[str], holds: bool) -> None:
    assert compiled_condition(when)(state(risks=frozenset(values))) is holds


def test_fired_asks_whether_a_rule_fired_earlier() -> None:
    test = compiled_condition({"fired": "safeguarding.mash"})
    assert test(state(fired=("safeguarding.mash",))) is True
    assert test(state(fired=("semh.early",))) is False


MASH = RouteDraft("safeguarding", "mash", "urgent", held=False, reasons=[])
CAMHS_HELD = RouteDraft("semh", "camhs", "routine", held=True, reasons=[])


@pytest.mark.parametrize(
    ("selector", "routes", "holds"),
    [
        ({}, (), False),
        ({}, (CAMHS_HELD,), True),
        ({"services": ["safeguarding"]}, (CAMHS_HELD,), False),
        ({"services": ["safeguarding"]}, (CAMHS_HELD, MASH), True),
        ({"pathways": ["camhs"]}, (MASH,), False),
        ({"pathways": ["camhs"]}, (CAMHS_HELD,), True),
        ({"held": True}, (MASH,), False),
        ({"held": True}, (CAMHS_HELD,), True),
        ({"held": False}, (CAMHS_HELD,), False),
        ({"exclude_priorities": ["urgent"]}, (MASH,), False),
        ({"exclude_priorities": ["urgent"]}, (CAMHS_HELD,), True),
    ],
)
def test_has_route_selectors(selector: dict[str, Any], routes: tuple[RouteDraft, ...], holds: bool) -> None:
    assert compiled_condition({"has_route": selector})(state(routes=routes)) is holds


def test_the_freshly_compiled_reference_ruleset_decides_every_worked_case() -> None:
    ruleset = load_ruleset()
    for path in case_files():
        case = load(path)
        decision = decide(ReferralSubmitted.model_validate(case["event"]), ruleset).model_dump(mode="json")
        assert comparable(decision) == comparable(case["expect"]), path.name


def test_the_compiled_ruleset_keeps_the_file_s_tables() -> None:
    data = reference()
    ruleset = compile_ruleset(data)
    assert ruleset.name == "frontdoor-reference"
    assert ruleset.source.version == "1.0.0"
    assert [s.id for s in ruleset.stages][:3] == ["scope", "safeguarding", "semh_level"]
    assert [s.first_only for s in ruleset.stages][:3] == [True, False, True]
    assert ruleset.sharing["salt"] == tuple(data["sharing"]["salt"])
    assert set(ruleset.sharing) == set(data["services"])
    assert ruleset.due_time == time(17, 0)


def test_the_version_is_the_file_s_version_and_a_hash_of_its_content() -> None:
    data = reference()
    version = compile_ruleset(data).version
    assert re.fullmatch(r"1\.0\.0\+[0-9a-f]{12}", version)
    assert compile_ruleset(dict(reversed(list(data.items())))).version == version  # key order does not count
    data["description"] = "Edited"
    assert compile_ruleset(data).version != version
    assert compile_ruleset(data, digest="abc123").version == "1.0.0+abc123"


def test_a_ruleset_given_as_data_is_named_so_in_its_errors() -> None:
    with pytest.raises(RulesetError, match=r"^ruleset <data> is not valid:"):
        compile_ruleset({"ruleset": "x"})
    data = reference()
    data["dsr"]["candidate"]["when"] = {"eq": {"fact": "shoe_size", "value": 3}}
    with pytest.raises(RulesetError, match=r"^ruleset <data> is not valid:\n  - dsr.candidate.when.eq: unknown fact"):
        compile_ruleset(data)


@pytest.mark.parametrize(
    ("due", "day", "working"),
    [
        ({"holidays_subdivision": "SCT"}, date(2027, 3, 29), True),  # Easter Monday is worked in Scotland
        ({"holidays_subdivision": "SCT"}, date(2027, 1, 4), False),  # 2 January's substitute day
        ({"holidays_country": "IE", "holidays_subdivision": None}, date(2027, 3, 17), False),  # St Patrick's Day
        ({}, date(2027, 3, 17), True),
    ],
)
def test_the_council_s_own_bank_holidays(due: dict[str, Any], day: date, working: bool) -> None:
    data = reference()
    data["due"].update(due)
    assert compile_ruleset(data).calendar.is_working_day(day) is working


def test_the_council_s_own_time_zone_and_due_time() -> None:
    data = reference()
    data["due"].update({"timezone": "Europe/Dublin", "time": "16:30"})
    ruleset = compile_ruleset(data)
    assert str(ruleset.calendar.tz) == "Europe/Dublin"
    assert ruleset.due_time == time(16, 30)
