"""People's names (schemas/names.py): refused with control, direction and invisible-only characters, normalised to
NFC, on every person-name field of the contracts; the 422's problem names the field and never the value."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import DsrPerson, Referral, ServiceDetails
from schemas.errors import problems
from schemas.names import FORMAT_PROBLEM, NO_VISIBLE, check_person_name
from schemas.referral import ReferralInput
from tests.factories import referral_body

CONTROL = "must not contain control characters"

REFUSED = [
    ("NUL", "Ann\x00", CONTROL),
    ("only NUL", "\x00", CONTROL),
    ("escape", "Ann\x1b[31m", CONTROL),
    ("newline", "Ann\nMarie", CONTROL),
    ("tab", "Ann\tMarie", CONTROL),
    ("delete", "Ann\x7f", CONTROL),
    ("C1 control", "An\x85n", CONTROL),
    ("line separator", "Ann\u2028Marie", "must not contain line breaks"),
    ("paragraph separator", "Ann\u2029Marie", "must not contain line breaks"),
    ("left-to-right embedding", "\u202aAnn", FORMAT_PROBLEM),
    ("right-to-left embedding", "\u202bAnn", FORMAT_PROBLEM),
    ("pop directional formatting", "Ann\u202c", FORMAT_PROBLEM),
    ("left-to-right override", "\u202dAnn", FORMAT_PROBLEM),
    ("right-to-left override", "Ann\u202eeiraM", FORMAT_PROBLEM),
    ("left-to-right isolate", "\u2066Ann", FORMAT_PROBLEM),
    ("right-to-left isolate", "\u2067Ann", FORMAT_PROBLEM),
    ("first strong isolate", "\u2068Ann", FORMAT_PROBLEM),
    ("pop directional isolate", "Ann\u2069", FORMAT_PROBLEM),
    ("left-to-right mark", "Ann\u200e", FORMAT_PROBLEM),
    ("right-to-left mark", "Ann\u200f", FORMAT_PROBLEM),
    ("Arabic letter mark", "Ann\u061c", FORMAT_PROBLEM),
    ("zero-width space inside", "An\u200bn", FORMAT_PROBLEM),
    ("byte-order mark", "\ufeffAnn", FORMAT_PROBLEM),
    ("word joiner", "Ann\u2060", FORMAT_PROBLEM),
    ("soft hyphen", "An\u00adn", FORMAT_PROBLEM),
    ("tag character", "Ann\U000e0041", FORMAT_PROBLEM),
    ("private use", "Ann\ue000", "must not contain private-use characters"),
    ("only a zero-width joiner", "\u200d", NO_VISIBLE),
    ("only zero-width joiner and non-joiner", "\u200c\u200d", NO_VISIBLE),
    ("only a combining mark", "\u0301", NO_VISIBLE),
    ("only the combining grapheme joiner", "\u034f", NO_VISIBLE),
    ("only a Hangul filler", "\u3164", NO_VISIBLE),
    ("only a halfwidth Hangul filler", "\uffa0", NO_VISIBLE),
    ("only a blank braille pattern", "\u2800", NO_VISIBLE),
    ("only spaces and a joiner", " \u200d ", NO_VISIBLE),
]

ACCEPTED = [
    ("plain", "Ann", "Ann"),
    ("hyphen and apostrophe", "O'Brien-Smith", "O'Brien-Smith"),
    ("space inside", "Mary Ann", "Mary Ann"),
    ("precomposed accent", "Zo\u00eb", "Zo\u00eb"),
    ("decomposed accent becomes precomposed (NFC)", "Zoe\u0308", "Zo\u00eb"),
    ("decomposed Vietnamese", "Nguye\u0302\u0303n", unicodedata.normalize("NFC", "Nguye\u0302\u0303n")),
    ("Welsh", "Siân", "Siân"),
    ("Arabic (right-to-left by itself, no control needed)", "\u0641\u0627\u0637\u0645\u0629",
     "\u0641\u0627\u0637\u0645\u0629"),
    ("Persian with a zero-width non-joiner", "\u0645\u06cc\u200c\u0646\u0627", "\u0645\u06cc\u200c\u0646\u0627"),
    ("Devanagari with a zero-width joiner", "\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),
    ("Chinese", "\u674e\u534e", "\u674e\u534e"),
    ("Polish", "Łucja", "Łucja"),
]


@pytest.mark.parametrize(("case", "name", "problem"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_refused_name_says_why_without_the_value(case: str, name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        check_person_name(name)
    assert name not in str(caught.value)


@pytest.mark.parametrize(("case", "name", "expected"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_a_name_is_kept_in_nfc(case: str, name: str, expected: str) -> None:
    assert check_person_name(name) == expected
    assert unicodedata.is_normalized("NFC", check_person_name(name))


NAME_FIELDS = ["child.given_name", "child.family_name", "referrer.name"]


def _referral(field: str, value: str) -> Referral:
    """As intake reads a person's referral (tolerant input: white space around a name trimmed first)."""
    body = referral_body()
    section, key = field.split(".")
    body[section][key] = value
    return ReferralInput.model_validate(body, context={"as_of": date(2026, 3, 4)})


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize(("case", "name", "problem"), REFUSED, ids=[c[0] for c in REFUSED])
def test_every_name_of_a_referral_is_checked_and_the_problem_names_the_field(
    field: str, case: str, name: str, problem: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        _referral(field, name)
    assert problems(caught.value) == [{"field": field, "problem": problem, "type": "value_error"}]
    assert name not in str(problems(caught.value))


@pytest.mark.parametrize("field", NAME_FIELDS)
def test_a_referrals_names_are_stored_in_nfc(field: str) -> None:
    referral = _referral(field, "Zoe\u0308")
    section, key = field.split(".")
    assert getattr(getattr(referral, section), key) == "Zo\u00eb"


EVENT_NAMES: list[tuple[type[Any], dict[str, Any], str]] = [
    (DsrPerson, {"family_name": "Smith", "date_of_birth": "2014-02-27"}, "given_name"),
    (DsrPerson, {"given_name": "Ann", "date_of_birth": "2014-02-27"}, "family_name"),
    (ServiceDetails, {}, "given_name"),
    (ServiceDetails, {}, "family_name"),
    (ServiceDetails, {}, "referrer_name"),
]


@pytest.mark.parametrize(("model", "others", "field"), EVENT_NAMES)
def test_the_names_events_carry_are_checked_too(model: type[Any], others: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(others | {field: "\u202eAnn"})
    assert problems(caught.value) == [{"field": field, "problem": FORMAT_PROBLEM, "type": "value_error"}]
    assert getattr(model.model_validate(others | {field: "Zoe\u0308"}), field) == "Zo\u00eb"
