"""Every problem the ruleset checker finds is named with its exact place in the file (issue 21, item 7: the checker's
mutants): a front-door manager reads "stages[0].rules[1] (salt.any).when.any[0].contains.value: ..." and knows where to
look. Each case breaks one thing in the small ruleset of test_rules_explain_words (one that compiles) and expects the
whole list of problems."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from services.policy.ruleset import RulesetError, compile_ruleset
from services.policy.ruleset.check import shape_words
from tests.unit.test_rules_explain_words import MINI

Edit = Callable[[dict[str, Any]], object]


def rules(stage: int) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    return lambda d: d["stages"][stage]["rules"]


first, second = rules(0), rules(1)
RULE = "stages[0].rules[0] (semh.early)"
SALT = "stages[0].rules[1] (salt.any)"
CONSENT = "stages[1].rules[2] (consent.semh)"
NOT_POSSIBLE = "is not a possible value here"

CASES: list[tuple[str, Edit, list[str]]] = [
    ("a named condition, deep", lambda d: d["conditions"].update(young={"any": [
        {"lt": {"fact": "age", "value": 11}}, {"not": {"eq": {"fact": "shoe_size", "value": 3}}}]}),
     ["conditions.young.any[1].not.eq: unknown fact 'shoe_size'"]),
    ("an unknown group", lambda d: first(d)[0]["when"]["all"][1]["intersects"].update(group="NOPE"),
     [f"{RULE}.when.all[1].intersects.group: 'NOPE' is not defined under `groups`"]),
    ("a group and values", lambda d: first(d)[0]["when"]["all"][1]["intersects"].update(values=["bullying"]),
     [f"{RULE}.when.all[1].intersects: give exactly one of group or values"]),
    ("values and exceptions", lambda d: first(d)[0]["when"]["all"].append(
        {"intersects": {"fact": "risks", "values": ["dragons"], "except": ["unicorns"]}}),
     [f"{RULE}.when.all[2].intersects: 'dragons' {NOT_POSSIBLE}",
      f"{RULE}.when.all[2].intersects: 'unicorns' {NOT_POSSIBLE}"]),
    ("intersects on a number", lambda d: first(d)[0]["when"]["all"].append(
        {"intersects": {"fact": "age", "values": ["3"]}}),
     [f"{RULE}.when.all[2].intersects: fact 'age' is int, this test needs set"]),
    ("contains an unknown value", lambda d: first(d)[1]["when"]["any"][0]["contains"].update(value="dragons"),
     [f"{SALT}.when.any[0].contains.value: 'dragons' {NOT_POSSIBLE}"]),
    ("contains on one value", lambda d: first(d)[1]["when"]["any"][0]["contains"].update(fact="basis"),
     [f"{SALT}.when.any[0].contains: fact 'basis' is enum, this test needs set"]),
    ("a number for yes or no", lambda d: first(d)[1]["when"]["any"][1]["eq"].update(value=3),
     [f"{SALT}.when.any[1].eq.value: 3 {NOT_POSSIBLE}"]),
    ("one of an unknown value", lambda d: second(d)[2]["when"]["all"][1]["not"]["in"].update(
        values=["parent_with_pr", "aunt"]),
     [f"{CONSENT}.when.all[1].not.in.values[1]: 'aunt' {NOT_POSSIBLE}"]),
    ("one of on a set", lambda d: second(d)[2]["when"]["all"][1]["not"]["in"].update(fact="concerns"),
     [f"{CONSENT}.when.all[1].not.in: fact 'concerns' is set, this test needs int or bool or enum"]),
    ("a comparison on words", lambda d: second(d)[0]["when"]["ge"].update(fact="basis"),
     ["stages[1].rules[0] (boost.prior).when.ge: fact 'basis' is enum, this test needs int"]),
    ("a comparison on an unknown fact", lambda d: first(d)[2]["when"]["all"][0]["gt"].update(fact="height"),
     ["stages[0].rules[2] (scope.old).when.all[0].gt: unknown fact 'height'"]),
    ("an undefined named condition", lambda d: first(d)[0]["when"]["all"][0].update({"is": "tiny"}),
     [f"{RULE}.when.all[0].is: 'tiny' is not a condition defined above it under `conditions`"]),
    ("a route to an unlisted service", lambda d: first(d)[1]["then"][0]["route"].update(service="counselling"),
     [f"{SALT}.then[0].route.service: 'counselling' is not listed under `services`"]),
    ("a missing item's own condition", lambda d: second(d)[1]["then"][0]["when"]["eq"].update(fact="mood"),
     ["stages[1].rules[1] (ask.aware).then[0].when.eq: unknown fact 'mood'"]),
    ("an undeclared variable", lambda d: first(d)[0]["then"][0].update(set={"mood": "low"}),
     [f"{RULE}.then[0].set: 'mood' is not declared under `variables`"]),
    ("a register rule id used twice", lambda d: d["dsr"]["ratings"][0].update(id="dsr.candidate"),
     ["dsr.ratings[0]: rule id 'dsr.candidate' used twice"]),
    ("a register reason's unknown fact", lambda d: d["dsr"]["consent"][0].update(because="At {shoe}."),
     ["dsr.consent[0].because: {shoe} is not a fact"]),
    ("a register rating's condition", lambda d: d["dsr"]["ratings"][0].update(
        when={"contains": {"fact": "risks", "value": "dragons"}}),
     [f"dsr.ratings[0].when.contains.value: 'dragons' {NOT_POSSIBLE}"]),
    ("sharing: a service left out, and an unknown detail", lambda d: (
        d["sharing"].pop("semh"), d["sharing"]["salt"].append("bank_details")),
     ["sharing: no entry for service 'semh'",
      "sharing.salt: 'bank_details' is not a referral detail (see ServiceDetails)"]),
    ("clocks with hours and working days", lambda d: (
        d["due"]["default"]["urgent"].update(hours=3), d["due"]["services"]["salt"]["routine"].update(hours=2)),
     ["due.default.urgent: give exactly one of hours or working_days",
      "due.services.salt.routine: give exactly one of hours or working_days"]),
    ("an unknown time zone", lambda d: d["due"].update(timezone="Mars/Olympus"),
     ["due: cannot build the working-day calendar (ZoneInfoNotFoundError: 'No time zone found with key"
      " Mars/Olympus')"]),
    ("the file's shape", lambda d: (d.pop("boost"), first(d)[0]["when"]["all"].append(
        {"any": [{"lt": {"fact": "age"}}]})),
     ["stages.0.rules.0.when.all.2.any.0.lt.value: missing: add it", "boost: missing: add it"]),
]


@pytest.mark.parametrize(("edit", "problems"), [(e, p) for _, e, p in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_named_with_its_place(edit: Edit, problems: list[str]) -> None:
    data = copy.deepcopy(MINI)
    edit(data)
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(data, source="mini")
    assert caught.value.problems == problems
    assert str(caught.value) == "ruleset mini is not valid:\n" + "\n".join(f"  - {p}" for p in problems)


@pytest.mark.parametrize("where", [{"holidays_country": "XX"}, {"holidays_subdivision": "XYZ"}])
def test_a_calendar_that_cannot_be_built_is_one_problem(where: dict[str, str]) -> None:
    data = copy.deepcopy(MINI)
    data["due"].update(where)
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(data, source="mini")
    [problem] = caught.value.problems
    assert problem.startswith("due: cannot build the working-day calendar (") and problem.endswith(")")


def test_something_that_is_not_a_ruleset_at_all_is_a_problem_at_the_top() -> None:
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(["a list"], source="mini")  # type: ignore[arg-type]
    assert caught.value.problems == [
        "(top): must be named settings (such as `version:` and `stages:`), not a list or a single value"]


@pytest.mark.parametrize(("kind", "message", "words"), [
    ("missing", "Field required", "missing: add it"),
    ("extra_forbidden", "Extra inputs are not permitted",
     "is not something a ruleset can say here: check its spelling and its indentation"),
    ("value_error", "Value error, must name a stage", "must name a stage"),
    ("int_parsing", "Input should be a valid integer", "must be a valid integer"),
    ("string_too_short", "String should have at least 1 character", "must have at least 1 character"),
    ("too_short", "List should have at least 1 item after validation, not 0",
     "must have at least 1 item after validation, not 0"),
    ("dict_type", "Dictionary should have at most 3 items", "must have at most 3 items"),
])
def test_a_shape_problem_reads_as_a_rule_not_the_library_s_text(kind: str, message: str, words: str) -> None:
    """Issue 22, item 2: what an author reads in `rules check` and on the what-if page."""
    assert shape_words(kind, message) == words
