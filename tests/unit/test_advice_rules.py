"""Advice without a formal referral, as rules: which advice list a request goes to by its concerns (the ruleset's
`advice` section, data), its due day in working days, answered within the level or late, overdue, who may see and
answer it, the answer form; and `rules check` refusing a bad advice section with a located message."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.auth import Principal
from services.common.workdays import WorkingCalendar
from services.intake.advice import domain as advice
from services.intake.advice.domain import AnswerForm
from services.intake.advice.views import policy
from services.policy.advice import AdvicePolicy, service_for
from services.policy.ruleset import RulesetError, compile_ruleset
from tests.cases import reference_ruleset

CALENDAR = WorkingCalendar()
POLICY = AdvicePolicy(5, {"speech_sounds": "salt", "stammering": "salt", "anxiety": "semh",
                          "bullying": "counselling"})


@pytest.mark.parametrize(("concerns", "service"), [
    (["speech_sounds"], "salt"),
    (["speech_sounds", "stammering"], "salt"),  # two concerns, one service
    (["speech_sounds", "anxiety"], None),  # two services: the front door only
    (["domestic_abuse"], None),  # on no list: the front door only
    (["domestic_abuse", "anxiety"], "semh"),  # an unlisted concern does not stop the one service
    ([], None),
])
def test_the_advice_list_is_the_one_service_the_concerns_point_to(concerns: list[str], service: str | None) -> None:
    assert service_for(concerns, POLICY) == service


@pytest.mark.parametrize(("asked", "days", "due"), [
    (datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc), 5, date(2026, 3, 11)),  # Wednesday: next Wednesday
    (datetime(2026, 3, 6, 16, 0, tzinfo=timezone.utc), 1, date(2026, 3, 9)),  # Friday: the Monday
    (datetime(2026, 3, 7, 9, 0, tzinfo=timezone.utc), 5, date(2026, 3, 13)),  # Saturday: the days count from Monday
    (datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc), 5, date(2026, 4, 10)),  # 00:30 on 1 April in London
    #   (from 31 March it would be the 9th); Good Friday (3 April) and Easter Monday (6 April) are not working days
    (datetime(2026, 12, 22, 12, 0, tzinfo=timezone.utc), 3, date(2026, 12, 29)),  # Christmas and Boxing Day (Monday
    #   28th in lieu)... 23rd, 24th, then 29th
])
def test_an_answer_is_due_on_the_nth_working_day_after_the_day_asked(asked: datetime, days: int, due: date) -> None:
    assert advice.answer_due(asked, AdvicePolicy(days), CALENDAR) == due


def test_answered_within_the_level_is_by_the_london_day_and_overdue_only_after_the_due_day() -> None:
    due = date(2026, 6, 10)  # British Summer Time: London is UTC+1
    assert advice.answered_in_time(datetime(2026, 6, 10, 22, 59, tzinfo=timezone.utc), due, CALENDAR)
    assert not advice.answered_in_time(datetime(2026, 6, 10, 23, 0, tzinfo=timezone.utc), due, CALENDAR)
    on_the_day = datetime(2026, 6, 10, 22, 0, tzinfo=timezone.utc)
    after = datetime(2026, 6, 10, 23, 0, tzinfo=timezone.utc)
    assert not advice.overdue(on_the_day, due, None, CALENDAR)
    assert advice.overdue(after, due, None, CALENDAR)
    assert not advice.overdue(after, due, on_the_day, CALENDAR)  # answered: never overdue
    assert (advice.state_of(None), advice.state_of(after)) == ("awaiting_answer", "answered")
    assert [advice.shown(None, w) for w in ("unanswered", "answered", "all")] == [True, False, True]
    assert [advice.shown(after, w) for w in ("unanswered", "answered", "all")] == [False, True, True]


def who(subject: str, *roles: str) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles))


@pytest.mark.parametrize(("by", "service", "sees", "answers"), [
    (who("senco-a", "referrer"), "salt", True, False),  # the asker
    (who("senco-b", "referrer"), "salt", False, False),  # another referrer
    (who("fd", "front_door"), None, True, True),
    (who("w", "worker:salt"), "salt", True, True),
    (who("w", "worker:semh"), "salt", False, False),  # another service's worker
    (who("w", "worker:salt"), None, False, False),  # a request on no service's list
    (who("m", "manager"), "salt", False, False),
])
def test_who_may_see_and_answer(by: Principal, service: str | None, sees: bool, answers: bool) -> None:
    assert advice.may_see(by, asked_by="senco-a", service=service) is sees
    assert advice.may_answer(by, service=service) is answers


@pytest.mark.parametrize(("body", "fields"), [
    ({"answer": "Try these strategies for six weeks."}, set()),
    ({"answer": "Please refer to SALT.", "next_step": "make_referral", "refer_to": "salt"}, set()),
    ({"answer": "Please refer to SALT.", "next_step": "make_referral"}, set()),  # the service may be left open
    ({"answer": "No referral is needed.", "next_step": "no_referral_needed", "refer_to": "salt"}, {"refer_to"}),
    ({"answer": "Try strategies first.", "refer_to": "semh"}, {"refer_to"}),
    ({"answer": "   too short   ", "next_step": "call_us", "refer_to": "dentist"}, {"answer", "next_step", "refer_to"}),
    ({"answer": "x" * 4001}, {"answer"}),
    ({"answer": "Try these strategies for six weeks.", "answered_by": "me"}, {"answered_by"}),
])
def test_the_answer_form(body: dict[str, Any], fields: set[str]) -> None:
    try:
        AnswerForm.model_validate(body)
        found: set[str] = set()
    except ValidationError as exc:
        found = {str(e["loc"][0]) for e in exc.errors()}
    assert found == fields


def reference() -> dict[str, Any]:
    data: dict[str, Any] = reference_ruleset()
    return data


def test_the_reference_ruleset_routes_communication_to_salt_and_answers_within_5_working_days() -> None:
    rules, _ = policy(None)
    assert rules.answer_within_working_days == 5
    assert rules.service_of["speech_sounds"] == "salt" and rules.service_of["anxiety"] == "semh"
    assert rules.service_of["bullying"] == "counselling" and rules.service_of["housing"] == "early_help"
    assert "domestic_abuse" not in rules.service_of  # safeguarding concerns: the front door answers


def test_the_advice_section_is_optional_in_an_older_file() -> None:
    data = reference()
    del data["advice"]
    section = compile_ruleset(data).source.advice
    assert (section.answer_within_working_days, section.services) == (5, [])


def problems(change: Any) -> list[str]:
    data = reference()
    change(data["advice"])
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(data)
    return caught.value.problems


@pytest.mark.parametrize(("change", "expected"), [
    (lambda a: a["services"].append({"service": "dentistry", "concerns": ["voice"]}),
     "advice.services.4.service: must be"),  # not a service at all
    (lambda a: a["services"][0]["concerns"].append("wobbly_teeth"),
     "advice.services[0].concerns: 'wobbly_teeth' is not a known concern"),
    (lambda a: a["services"][1]["concerns"].append("voice"),
     "advice.services[1].concerns: 'voice' is already under advice.services[0] (salt): a concern points to one"
     " service at most"),
    (lambda a: a.update(answer_within_working_days=0),
     "advice.answer_within_working_days: must be greater than or equal to 1"),
    (lambda a: a.update(answer_within_working_days=-3),
     "advice.answer_within_working_days: must be greater than or equal to 1"),
    (lambda a: a.pop("answer_within_working_days"), "advice.answer_within_working_days: missing: add it"),
    (lambda a: a["services"].append({"service": "salt", "concerns": []}),
     "advice.services.4.concerns: must have at least 1 item"),
])
def test_rules_check_refuses_a_bad_advice_section_saying_where(change: Any, expected: str) -> None:
    found = problems(change)
    assert any(p.startswith(expected) for p in found), found


def test_an_advice_list_for_a_service_the_ruleset_does_not_route_to_is_refused() -> None:
    data = reference()
    data["services"].remove("early_help")
    for table in ("sharing", "redirects"):
        data[table].pop("early_help")
    data["stages"] = [s for s in data["stages"] if s["id"] != "early_help"]
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(data)
    assert "advice.services[3].service: 'early_help' is not listed under `services`" in caught.value.problems


def test_rules_explain_says_how_advice_is_answered() -> None:
    from services.policy.ruleset import load_ruleset
    from services.policy.ruleset.explain import explain, markdown

    text = markdown(explain(load_ruleset(None)))
    advice_part = text[text.index("## Advice without a referral"):]
    assert "answered within 5 working days" in advice_part
    assert "- Speech and language therapy: Speech sounds, " in advice_part
