"""The identifying-details check on an advice question (schemas/advice.py), table-driven: what is flagged (NHS
numbers, full dates that could be a date of birth, postcodes) and what is not (phone numbers, year groups, counts,
durations, a day without a year). A finding's message never holds the text it matched."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.advice import AdviceInput, identifying_details

FLAGGED = [
    ("His NHS number is 9434765919.", ["nhs_number"]),
    ("NHS no. 943 476 5919", ["nhs_number"]),
    ("nhs 943-476-5919", ["nhs_number"]),
    ("943 476-5919", ["nhs_number"]),  # spaces and hyphens mixed
    ("NHS 943 476 5910 (wrong check digit, still a number)", ["nhs_number"]),
    ("born 03/03/2015", ["date_of_birth"]),
    ("dob 3/3/15", ["date_of_birth"]),
    ("born 3.3.15", ["date_of_birth"]),
    ("born 3-3-2015", ["date_of_birth"]),
    ("born 2015-03-03", ["date_of_birth"]),
    ("born 3 March 2015", ["date_of_birth"]),
    ("born 3rd of March 2015", ["date_of_birth"]),
    ("born 21st Sept 2016", ["date_of_birth"]),
    ("born March 3 2015", ["date_of_birth"]),
    ("born march 3rd, 2015", ["date_of_birth"]),
    ("lives at SS7 3QZ", ["postcode"]),
    ("lives near sw1a1aa", ["postcode"]),
    ("postcode SS7 3QZ, born 3/3/15, NHS 9434765919", ["nhs_number", "date_of_birth", "postcode"]),
    ("born 3/3/15 and seen 4/4/15", ["date_of_birth"]),  # one finding per kind
]
NOT_FLAGGED = [
    "He is in Year 3 and has been struggling for 2 weeks.",
    "We have tried this for 5 working days and 6 weeks of sessions.",
    "Call the school office on 01234 567890 or 01234-567-890.",  # phone numbers are not flagged (11 digits)
    "Mobile +44 7700 900123.",
    "Since 2015 he has had speech therapy, by 3 March we need a plan.",  # a year alone; a day without a year
    "KS2 SATs are in May; Y6 teacher says 3 in 10 words are unclear.",
    "Scores 12/20 on the reading test, 45/100 overall.",  # a fraction is not a date (month 20, no year)
    "Reference 12345678901 on our system.",  # 11 digits: not an NHS number
    "",
]


# Issue 20, item 11: the same details written another way. The text is normalised first (NFKC: full-width and
# other compatibility forms; any script's digits; every dash a hyphen; every space a space; invisible format
# characters dropped), then matched with dots, slashes, hyphens or spaces as separators.
FORMATS = [
    ("NHS 943.476.5919", ["nhs_number"]),  # the examples
    ("NHS ９４３４７６５９１９", ["nhs_number"]),
    ("born 03 03 2015", ["date_of_birth"]),
    ("NHS 943 . 476 . 5919", ["nhs_number"]),
    ("NHS 943/476/5919", ["nhs_number"]),
    ("NHS 943\u2013476\u20135919", ["nhs_number"]),  # en dashes
    ("NHS 943\u00a0476\u00a05919", ["nhs_number"]),  # no-break spaces
    ("NHS 943\u3000476\u30005919", ["nhs_number"]),  # ideographic spaces
    ("NHS 943\u200b476\u200b5919", ["nhs_number"]),  # zero-width spaces
    ("NHS ٩٤٣٤٧٦٥٩١٩", ["nhs_number"]),  # Arabic-Indic digits
    ("NHS ９４３－４７６－５９１９", ["nhs_number"]),  # full-width hyphens too
    ("born 3 3 2015", ["date_of_birth"]),
    ("born 03  03  2015", ["date_of_birth"]),
    ("born ０３／０３／２０１５", ["date_of_birth"]),
    ("born 03 / 03 / 2015", ["date_of_birth"]),
    ("born 03\u201303\u20132015", ["date_of_birth"]),
    ("born 03-Mar-2015", ["date_of_birth"]),
    ("born 3/mar/15", ["date_of_birth"]),
    ("born 3 ＭＡＲＣＨ 2015", ["date_of_birth"]),
    ("dob 03032015", ["date_of_birth"]),
    ("dob 20150303", ["date_of_birth"]),
    ("lives at ＳＳ７ ３ＱＺ", ["postcode"]),
    ("lives at SS7\u00a03QZ", ["postcode"]),
]
STILL_NOT_FLAGGED = [  # the same negatives, written another way
    "Call the school office on ０１２３４ ５６７８９０.",  # a phone number in full-width digits
    "Call the school office on 01234.567.890.",
    "He is in Year 3 \u2013 5 of the group, 2 weeks now.",
    "Ages 10 11 12 in the same class, 3 in 10 words unclear.",
    "Sessions of 1.5 hours, 3 3 times a week since 2015.",  # a day and month without a year is not a date
    "Reference 12345678 on our system.",  # eight digits that are not a date (month 34)
    "Scores 12 / 20 on the reading test.",
]


@pytest.mark.parametrize(("text", "kinds"), FORMATS)
def test_details_written_another_way_are_found(text: str, kinds: list[str]) -> None:
    assert [f.kind for f in identifying_details(text)] == kinds


@pytest.mark.parametrize("text", STILL_NOT_FLAGGED)
def test_ordinary_numbers_written_another_way_are_still_not_flagged(text: str) -> None:
    assert identifying_details(text) == []


@pytest.mark.parametrize(("text", "kinds"), FLAGGED)
def test_identifying_details_are_found(text: str, kinds: list[str]) -> None:
    found = identifying_details(text)
    assert [f.kind for f in found] == kinds
    for finding in found:
        assert "Remove it before sending: advice is about a situation, not a named child." in finding.message
        assert not any(part in finding.message for part in ("943", "2015", "SS7", "15", "sw1a"))


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_ordinary_words_and_numbers_are_not_flagged(text: str) -> None:
    assert identifying_details(text) == []


BASE = {"question": "Is this a speech and language referral or something to try in class?",
        "concerns": ["speech_sounds"], "age": 7}


@pytest.mark.parametrize(("change", "fields"), [
    ({}, set()),
    ({"year_group": "3", "age": "7", "question": "  " + BASE["question"] + "  "}, set()),  # typed loosely
    ({"education_setting": {"name": "Seaview Primary", "urn": "123456"}}, set()),
    ({"question": "Too short"}, {"question"}),
    ({"question": "x" * 2001}, {"question"}),
    ({"concerns": []}, {"concerns"}),
    ({"concerns": ["voice", "voice"]}, {"concerns"}),
    ({"concerns": ["wobbly_teeth"]}, {"concerns"}),
    ({"age": 26}, {"age"}),
    ({"age": -1}, {"age"}),
    ({"year_group": 15}, {"year_group"}),
    ({"given_name": "Sam"}, {"given_name"}),  # no name, date of birth or NHS number fields
    ({"date_of_birth": "2019-03-03"}, {"date_of_birth"}),
    ({"nhs_number": "9434765919"}, {"nhs_number"}),
])
def test_the_advice_form(change: dict[str, object], fields: set[str]) -> None:
    try:
        form = AdviceInput.model_validate(BASE | change)
        assert form.question == BASE["question"]
        found: set[str] = set()
    except ValidationError as exc:
        found = {str(e["loc"][0]) for e in exc.errors()}
    assert found == fields
