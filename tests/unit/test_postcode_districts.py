"""A postcode district never starts with 0, except the single digit 0 after a two-letter area (issue 24, item 8).

BS 7666 and the reference libraries refuse `B0 9AY` and `B06 6UP`; the check and the JSON Schema pattern refuse
them too, and agree on every row. Districts numbered 0 are real after two letters: BL0 (Ramsbottom), CM0, CR0
(Croydon), HA0 (Wembley), SL0 (Iver), SS0 (Westcliff-on-Sea), FY0 (non-geographic). The rule is about shapes,
not a list of districts: BS0 passes it as any two-letter area with district 0 does."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from schemas.identifiers import POSTCODE_INPUT_PATTERN, POSTCODE_PATTERN, Postcode, normalise_postcode

POSTCODE: TypeAdapter[str] = TypeAdapter(Postcode)

REFUSED = [
    ("B0 9AY", "a one-letter area has no district 0"), ("E0 1AA", "a one-letter area has no district 0"),
    ("W0 1AA", "a one-letter area has no district 0"), ("B06 6UP", "a two-digit district never starts with 0"),
    ("E09 1AA", "a two-digit district never starts with 0"), ("AB01 1AA", "a two-digit district never starts with 0"),
    ("SW00 1AA", "a two-digit district never starts with 0"), ("W0A 1AA", "a one-letter area has no district 0"),
    ("EC0A 1BB", "a district with a letter never starts with 0"),
]
ACCEPTED = [
    ("BL0 9AA", "Ramsbottom"), ("BS0 1AA", "two letters and district 0: the shape allows it"),
    ("CM0 7AA", "Burnham-on-Crouch"), ("CR0 1AA", "Croydon"), ("HA0 1AA", "Wembley"), ("SS0 7AA", "Westcliff"),
    ("SL0 0AA", "Iver"), ("FY0 1AA", "non-geographic"), ("B10 9AY", "a two-digit district ending in 0"),
    ("AB10 1AA", "a two-digit district ending in 0"), ("W1A 0AX", "A9A"), ("EC1A 1BB", "AA9A"), ("M1 1AE", "A9"),
]


def valid(code: str) -> bool:
    try:
        normalise_postcode(code)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("code", "why"), REFUSED)
def test_a_district_starting_with_0_is_refused_by_the_check_and_both_patterns(code: str, why: str) -> None:
    assert not valid(code), why
    assert not valid(code.lower().replace(" ", "")), why  # as a person might type it
    with pytest.raises(ValidationError):
        POSTCODE.validate_json(f'"{code}"', strict=True)
    assert re.fullmatch(POSTCODE_PATTERN, code) is None, why
    assert re.fullmatch(POSTCODE_INPUT_PATTERN, code) is None, why


@pytest.mark.parametrize(("code", "why"), ACCEPTED)
def test_two_letter_areas_keep_their_district_0_and_other_districts_stay_valid(code: str, why: str) -> None:
    assert normalise_postcode(code) == code, why
    assert POSTCODE.validate_json(f'"{code}"', strict=True) == code
    assert re.fullmatch(POSTCODE_PATTERN, code) is not None, why
    assert re.fullmatch(POSTCODE_INPUT_PATTERN, code.lower()) is not None, why
