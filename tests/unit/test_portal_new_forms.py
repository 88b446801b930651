"""The portal's new forms as the services' bodies (issue 14), pure: what a person typed into "Add a person to the
register" and "Ask for advice" becomes the body of POST /dsr/entries and POST /advice, the API being the one
validator (anything it must judge is sent as typed, blank optional answers are left out)."""

from __future__ import annotations

from typing import Any

import pytest

from services.portal.pages import navigation
from services.portal.routes import advice, register
from services.portal.users import USERS

FILLED = {"nhs_number": "999 000 0018", "given_name": "Dev", "family_name": "Demo", "dob": ["4", "7", "1986"],
          "diagnosis": "both", "risks": ["mh_admission_risk"], "has_ehcp": "no", "consent": "needed",
          "consent_given_by": "", "referring_agency": "Adult social care", "referrer_contact": "a@example.org",
          "reason": "At risk of admission.", "current_setting": "inpatient"}


@pytest.mark.parametrize(("parts", "sent"), [
    (["4", "7", "1986"], "1986-07-04"),
    (["31", "12", "2007"], "2007-12-31"),
    (["", "", ""], None),                 # not answered: the API says it is required
    ([], None),
    (["4", "", "1986"], "1986--4"),       # part missing: sent as typed, the API names the problem
    (["4", "July", "1986"], "1986-July-4"),
])
def test_the_date_of_birth_as_the_api_reads_it(parts: list[str], sent: str | None) -> None:
    assert register.date_of_birth(parts) == sent


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, {"nhs_number": "9990000018", "date_of_birth": "1986-07-04", "diagnoses": ["autism", "learning_disability"],
          "has_ehcp": False, "consent": "needed", "current_setting": "inpatient"}),
    ({"diagnosis": "awaiting", "has_ehcp": "yes"}, {"diagnoses": ["autism_awaiting_assessment"], "has_ehcp": True}),
    ({"diagnosis": "autism"}, {"diagnoses": ["autism"]}),
    ({"diagnosis": "learning_disability"}, {"diagnoses": ["learning_disability"]}),
    ({"diagnosis": "", "has_ehcp": ""}, {"diagnoses": [], "has_ehcp": False}),
    ({"nhs_number": "  "}, {"nhs_number": None}),
    ({"consent": "", "current_setting": ""}, {"consent": None, "current_setting": None}),
    ({"consent_given_by": "Care coordinator"}, {"consent_given_by": "Care coordinator"}),
])
def test_the_register_form_as_the_body_of_post_dsr_entries(changes: dict[str, Any],
                                                            expected: dict[str, Any]) -> None:
    body = register.to_entry(FILLED | changes)
    for key, value in expected.items():
        assert body.get(key) == value, key
    assert "consent_given_by" in body or not (FILLED | changes)["consent_given_by"]  # blank: left out
    assert set(body) <= {"nhs_number", "given_name", "family_name", "date_of_birth", "diagnoses", "risks",
                         "has_ehcp", "consent", "consent_given_by", "referring_agency", "referrer_contact",
                         "reason", "current_setting"}


@pytest.mark.parametrize(("field", "where"), [("diagnoses", "diagnosis"), ("diagnoses.0", "diagnosis"),
                                              ("date_of_birth", "date_of_birth"), ("risks.1", "risks"),
                                              ("nhs_number", "nhs_number")])
def test_each_problem_of_the_register_links_to_its_field(field: str, where: str) -> None:
    assert register.field_id(field) == where


@pytest.mark.parametrize(("answers", "expected"), [
    ({"question": "Is this SALT?", "concerns": ["voice"], "year_group": "5", "age": "9", "school": "Seaview"},
     {"question": "Is this SALT?", "concerns": ["voice"], "year_group": "5", "age": "9",
      "education_setting": {"name": "Seaview"}}),
    ({"question": "Is this SALT?", "concerns": [], "year_group": "", "age": "", "school": ""},
     {"question": "Is this SALT?", "concerns": [], "age": None}),
    ({"question": "", "concerns": ["anxiety"], "year_group": "0", "age": "four", "school": ""},
     {"question": "", "concerns": ["anxiety"], "year_group": "0", "age": "four"}),
])
def test_the_advice_form_as_the_body_of_post_advice(answers: dict[str, Any], expected: dict[str, Any]) -> None:
    assert advice.to_advice(answers) == expected


@pytest.mark.parametrize(("value", "words"), [(-2, "Nursery (age 2 to 3)"), (0, "Reception"), ("5", "Year 5"),
                                              (14, "Year 14"), (None, "Not given"), ("", "Not given"),
                                              (15, "Not given")])
def test_a_year_group_in_words(value: object, words: str) -> None:
    assert advice.year_group_words(value) == words


def test_each_problem_of_the_advice_form_links_to_its_field() -> None:
    assert [advice.field_id(f) for f in ("question", "concerns.1", "education_setting.name", "refer_to")] == [
        "question", "concerns", "school", "refer_to"]


@pytest.mark.parametrize(("key", "links"), [
    ("senco-seaview", ["/referrals", "/referrals/new", "/advice/new"]),
    ("worker-salt", ["/work/salt", "/work/salt/my-work", "/work/salt/advice", "/find-a-child"]),
    ("front-door-hub", ["/front-door", "/front-door/my-work", "/find-a-child", "/front-door/duplicates",
                        "/front-door/merges", "/advice", "/reports/disagreement"]),
    ("dsr-chair", ["/dsr", "/dsr/register", "/find-a-child", "/dsr/add"]),
    ("asc-practitioner", ["/dsr/entries", "/dsr/add"]),
])
def test_each_role_s_menu_reaches_its_new_pages(key: str, links: list[str]) -> None:
    user = USERS[key]
    assert [item["href"] for item in navigation(user)] == links
    assert user.home == links[0]
