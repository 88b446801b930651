"""Words, not codes: every code a page can show has plain English words (schemas/labels.py), NHS numbers
read in 3-3-4 groups, dates read "25 November 2026"; a worker's request page shows no raw codes."""

from __future__ import annotations

import inspect
import re
from datetime import date, datetime, timezone
from enum import StrEnum

import pytest

from schemas import enums, labels, lifecycle
from services.dsr.domain import Status as DsrStatus
from services.dsr.rules import Track
from services.portal.pages import shown, templates

ENUMS = [e for module in (enums, lifecycle) for _, e in inspect.getmembers(module, inspect.isclass)
         if issubclass(e, StrEnum) and e is not StrEnum and e.__module__ == module.__name__]


def test_every_enum_of_the_contract_is_found() -> None:
    assert len(ENUMS) >= 20 and enums.Concern in ENUMS and lifecycle.RequestStatus in ENUMS


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_value_of_every_enum_has_words_that_are_not_its_code(enum: type[StrEnum]) -> None:
    assert set(labels.ENUM_LABELS.get(enum, {})) == {m.value for m in enum}, "the enum's words are its values"
    for member in enum:
        words = labels.label(member.value)
        assert words == labels.ENUM_LABELS[enum][member.value]
        assert words != member.value and "_" not in words and "." not in words.rstrip(")"), (member.value, words)
        assert words[0].isupper() or words[0].isdigit(), words


def test_a_value_shared_by_two_enums_reads_the_same_in_both() -> None:
    seen: dict[str, str] = {}
    for words_of in labels.ENUM_LABELS.values():
        for value, words in words_of.items():
            assert seen.setdefault(value, words) == words, value
    for value, words in labels.OTHER_VALUES.items():
        assert seen.get(value, words) == words, value


def test_field_names_read_as_words() -> None:
    assert labels.label("nhs_number") == "NHS number"
    assert labels.label("sen_status") == "SEN status"
    assert labels.label("referrer_role") == "Referrer's role"
    assert set(labels.FIELDS).isdisjoint(labels.VALUES) or all(
        labels.FIELDS[k] == labels.VALUES[k] for k in set(labels.FIELDS) & set(labels.VALUES))


def test_register_statuses_and_review_tracks_have_words() -> None:
    for code in [s.value for s in DsrStatus] + [t.value for t in Track]:
        assert code in labels.VALUES and labels.label(code) != code


def test_an_unknown_code_still_loses_its_underscores() -> None:
    assert labels.label("some_new_thing") == "Some new thing"
    assert labels.label(enums.Duration.one_to_6_months) == "1 to 6 months"


def test_nhs_numbers_in_three_three_four_groups() -> None:
    assert labels.nhs("9434765919") == "943 476 5919"
    assert labels.nhs("943 476 5919") == "943 476 5919"
    assert labels.nhs("94347659") == "94347659"  # not ten digits: as it is
    assert labels.nhs(None) == ""


def test_dates_in_words_and_times_in_london() -> None:
    assert labels.day(date(2026, 11, 25)) == "25 November 2026"
    assert labels.day("2026-11-05") == "5 November 2026"
    assert labels.day("2026-11-25T09:30:00+00:00") == "25 November 2026"
    assert labels.day("2026-11-25T09:30:00+00:00", time=True) == "25 November 2026, 9:30am"
    assert labels.day(datetime(2026, 6, 14, 23, 0, tzinfo=timezone.utc), time=True) == "15 June 2026, 12am"  # BST
    assert labels.day(datetime(2026, 6, 15, 11, 5, tzinfo=timezone.utc), time=True) == "15 June 2026, 12:05pm"
    assert labels.day("not a date") == "not a date"
    assert labels.day(None) == ""


def test_a_field_shows_words_for_codes_and_a_person_words_as_written() -> None:
    assert shown("referrer_role", "school_nurse") == "School nurse"
    assert shown("concerns", ["feeding_swallowing", "stammering"]) == "Feeding and swallowing, Stammering"
    assert shown("child.nhs_number", "9434765919") == "943 476 5919"
    assert shown("date_of_birth", "2016-09-04") == "4 September 2016"
    assert shown("child_aware", False) == "No"
    assert shown("reason", "active") == "active"  # a person's own words are never read as a code
    assert shown("voice_of_child", None) == "Not given"


RAW = ["school_nurse", "parent_with_pr", "feeding_swallowing", "1_to_6_months", "Nhs number", "Sen status",
       "sen_support", "early_help", "child_in_need", "dysphagia_urgent", "Created"]


def test_a_workers_request_page_shows_words_not_codes() -> None:
    item = {
        "service_request_id": "5f1c3c1e-8d44-4c43-9a0b-1f1f2f3f4f5f", "referral_id": "x", "pathway": "dysphagia",
        "priority": "urgent", "due_by": "2026-11-25T17:00:00+00:00", "time_left": "2 working days", "overdue": False,
        "held": False, "status": "created", "breached": False, "child": {},
        "reasons": [{"rule_id": "salt.dysphagia_urgent", "because": "Signs of aspiration."}],
        "details": {"given_name": "Ruby", "family_name": "Browsertest", "date_of_birth": "2016-09-04",
                    "nhs_number": "9434765919", "sen_status": "sen_support", "social_care_status": "child_in_need",
                    "referrer_role": "school_nurse", "consent_basis": "parent_with_pr", "child_aware": True,
                    "concerns": ["feeding_swallowing"], "duration": "1_to_6_months", "impact": "moderate",
                    "known_services": ["early_help"], "risks": ["aspiration_signs"]},
        "outcome_reason": None, "signpost": None, "redirect_to": None,
    }
    html = templates().get_template("request.html").render(
        user=None, navigation=[],
        request=type("R", (), {"url": type("U", (), {"path": "/work/salt"})(), "session": {}})(),
        service="salt", item=item, errors=[], done=None)
    text = re.sub(r"<[^>]+>", " ", html)  # what a person reads, not the form's field names and values
    for code in RAW:
        assert code not in text, code
    for words in ("943 476 5919", "NHS number", "SEN status", "School nurse", "A parent with parental responsibility",
                  "Feeding and swallowing", "1 to 6 months", "4 September 2016", "25 November 2026, 5pm",
                  "Swallowing (dysphagia)", "Child in need"):
        assert words in text, words


def test_a_withdrawn_request_page_says_who_withdrew_it_and_why() -> None:
    item = {
        "service_request_id": "5f1c3c1e-8d44-4c43-9a0b-1f1f2f3f4f5f", "referral_id": "x", "pathway": "community",
        "priority": "routine", "due_by": "2026-11-25T17:00:00+00:00", "time_left": "2 working days", "overdue": False,
        "held": False, "status": "withdrawn", "breached": False, "child": {}, "reasons": [], "details": {},
        "outcome_reason": None, "signpost": None, "redirect_to": None,
        "withdrawn": {"by": "fd-jones", "by_name": "Dana Wright", "at": "2026-11-24T10:00:00+00:00",
                      "reason": "Better met by early help",
                      "summary": "Withdrawn by Dana Wright (front door): Better met by early help"},
    }
    html = templates().get_template("request.html").render(
        user=None, navigation=[],
        request=type("R", (), {"url": type("U", (), {"path": "/work/salt"})(), "session": {}})(),
        service="salt", item=item, errors=[], done=None)
    assert "Withdrawn by Dana Wright (front door): Better met by early help" in html and "fd-jones" not in html
    assert "/accept" not in html and "/complete" not in html  # nothing left to do with it
