"""The all-age register's pure rules: who is already on the register (matching), age bands, the review track
of an adult, the problems of an addition that span fields, and the suggested rating of an addition made
directly, which the council's ruleset decides (its dsr.ratings section), as for a children's referral."""

from __future__ import annotations

import copy
import itertools
import uuid
from datetime import date

import pytest

from schemas.enums import DsrRisk
from services.dsr.direct import DirectIn, suggested_rating
from services.dsr.identity import Person, first_match, person, same_person
from services.dsr.rules import Rating, Track, addition_problems, age_band, review_track
from services.policy.ruleset import load_ruleset
from services.policy.ruleset.compile import compile_ruleset
from tests.cases import reference_ruleset

TODAY = date(2026, 11, 26)
REFERENCE = load_ruleset()


def p(nhs: str | None = None, given: str = "Alex", family: str = "Morgan",
      born: date | None = date(1986, 3, 2)) -> Person:
    return person(nhs_number=nhs, given_name=given, family_name=family, born=born)


@pytest.mark.parametrize(("a", "b", "same"), [
    (p("9434765919"), p("9434765919", "Someone", "Else", date(2000, 1, 1)), True),  # the NHS number decides
    (p("9434765919"), p("4010232137"), False),  # two NHS numbers that differ: two people, whatever the names
    (p("9434765919"), p(None), True),  # one side without: name and date of birth
    (p(None), p(None), True),
    (p(None, "Zoë", "O'Brien-Smith"), p(None, " zoe ", "OBrien Smith"), True),  # case, accents, spaces, hyphens
    (p(None, "Alex", "Morgan"), p(None, "Alexa", "Morgan"), False),
    (p(None), p(None, born=date(1986, 3, 3)), False),  # another birthday
    (p(None, born=None), p(None, born=None), False),  # no date of birth: never a match on the name alone
    (p(None, given=""), p(None, given=""), False),  # nor on an empty name
])
def test_who_is_the_same_person(a: Person, b: Person, same: bool) -> None:
    assert same_person(a, b) is same
    assert same_person(b, a) is same


def test_an_nhs_number_match_comes_before_a_name_match_then_the_oldest() -> None:
    by_name, by_number, later = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    known = [(by_name, p(None)), (by_number, p("9434765919", "Other", "Name")), (later, p("9434765919"))]
    assert first_match(p("9434765919"), known) == by_number
    assert first_match(p(None), known) == by_name
    assert first_match(p("4010232137", born=date(1990, 1, 1)), known) is None


@pytest.mark.parametrize(("born", "band"), [
    (date(2009, 11, 27), "0-17"),  # 17 until tomorrow
    (date(2008, 11, 26), "18-25"),  # 18 today
    (date(2000, 11, 27), "18-25"),  # 25 until tomorrow
    (date(2000, 11, 26), "26+"),  # 26 today
    (date(1906, 11, 26), "26+"),
    (date(2026, 11, 26), "0-17"),
    (None, "unknown"),
])
def test_age_bands_at_their_boundaries(born: date | None, band: str) -> None:
    assert age_band(born, TODAY) == band


@pytest.mark.parametrize(("born", "ehcp", "track"), [
    (date(1986, 3, 2), False, Track.ctr),  # a 40-year-old without an EHCP
    (date(1986, 3, 2), True, Track.cetr),
    (date(2009, 11, 27), False, Track.cetr),  # 17
    (date(2008, 11, 26), False, Track.ctr),  # 18 today
])
def test_the_review_track_of_all_ages(born: date, ehcp: bool, track: Track) -> None:
    assert review_track(born, ehcp, TODAY) is track


ADULT, CHILD, FUTURE = date(1986, 3, 2), date(2015, 1, 1), date(2027, 1, 1)


@pytest.mark.parametrize(("born", "nhs", "consent", "given_by", "problems"), [
    (ADULT, True, "given", "The person", []),
    (ADULT, False, "given", "The person", ["nhs_number"]),  # an adult needs an NHS number
    (date(2008, 11, 26), False, "needed", None, ["nhs_number"]),  # 18 today
    (date(2008, 11, 27), False, "needed", None, []),  # 17: not required
    (CHILD, False, "needed", None, []),
    (CHILD, False, "given", None, ["consent_given_by"]),
    (CHILD, False, "best_interests", "  ", ["consent_given_by"]),
    (ADULT, False, "best_interests", None, ["nhs_number", "consent_given_by"]),  # both at once
    (None, False, "needed", None, []),  # no date: that is its own problem
    (FUTURE, False, "needed", None, []),
])
def test_problems_spanning_fields(born: date | None, nhs: bool, consent: str, given_by: str | None,
                                  problems: list[str]) -> None:
    found = addition_problems(born=born, has_nhs_number=nhs, consent=consent, consent_given_by=given_by, today=TODAY)
    assert [field for field, _ in found] == problems


def addition(risks: tuple[str, ...], setting: str = "community") -> DirectIn:
    return DirectIn(nhs_number="9434765919", given_name="Alex", family_name="Morgan", date_of_birth=ADULT,
                    diagnoses=("autism",), risks=risks, has_ehcp=False, consent="needed", consent_given_by=None,
                    referring_agency="Adult social care", referrer_contact="01632 960000",
                    reason="Placement at risk of breaking down", current_setting=setting)


def reference_policy(risks: set[str], setting: str) -> Rating:
    """The reference ruleset's dsr.ratings, written out by hand."""
    if "mh_inpatient_current" in risks or setting == "inpatient":
        return Rating.blue
    if "mh_admission_risk" in risks and risks & {"suicide_plan_or_intent", "ae_attendance_mental_health",
                                                 "self_harm_recent"}:
        return Rating.red
    if risks & {"mh_admission_risk", "placement_breakdown"}:
        return Rating.amber
    return Rating.green


def test_the_register_risks_are_the_reference_rulesets_group() -> None:
    assert {r.value for r in DsrRisk} == set(REFERENCE.source.groups["DSR_RISKS"])


RISKS = [r.value for r in DsrRisk]
SUBSETS = [subset for n in range(1, len(RISKS) + 1) for subset in itertools.combinations(RISKS, n)]


@pytest.mark.parametrize("setting", ["community", "inpatient"])
def test_a_direct_additions_suggestion_is_the_reference_policy_for_every_set_of_risks(setting: str) -> None:
    assert len(SUBSETS) == 2 ** len(DsrRisk) - 1
    for risks in SUBSETS:
        assert suggested_rating(REFERENCE, addition(risks, setting), TODAY) is reference_policy(set(risks), setting), \
            risks


def test_the_councils_ruleset_decides_the_suggestion() -> None:
    """A council whose policy rates a placement breakdown red: a direct addition follows its file."""
    data = reference_ruleset()
    council = copy.deepcopy(data)
    red = next(r for r in council["dsr"]["ratings"] if r["rating"] == "red")
    red["when"] = {"contains": {"fact": "risks", "value": "placement_breakdown"}}
    ruleset = compile_ruleset(council, source="council.yaml", digest="test")
    assert suggested_rating(REFERENCE, addition(("placement_breakdown",)), TODAY) is Rating.amber
    assert suggested_rating(ruleset, addition(("placement_breakdown",)), TODAY) is Rating.red
