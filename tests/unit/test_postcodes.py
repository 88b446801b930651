"""Postcodes: BS 7666 position rules, GIR 0AA, ASCII only; tolerant where a person types, canonical on the wire."""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas.identifiers import (
    POSTCODE_INPUT_PATTERN,
    POSTCODE_PATTERN,
    CanonicalPostcode,
    Postcode,
    normalise_postcode,
)

POSTCODE: TypeAdapter[str] = TypeAdapter(Postcode)
ALWAYS_CANONICAL: TypeAdapter[str] = TypeAdapter(CanonicalPostcode)


# -- an independent oracle, written from the rule table rather than as a regular expression ----------------------

DIGITS = string.digits
LETTERS = string.ascii_uppercase
SHAPES = {"A9", "A99", "AA9", "AA99", "A9A", "AA9A"}
NOT_FIRST = "QVX"
NOT_SECOND = "IJZ"
THIRD_IN_A9A = "ABCDEFGHJKPSTUW"
FOURTH_IN_AA9A = "ABEHMNPRVWXY"
NOT_INWARD = "CIKMOV"


def bs7666(code: str) -> bool:
    """Whether `code` (canonical form: upper case, one space) is a postcode by the BS 7666 position rules."""
    if code == "GIR 0AA":
        return True
    outward, space, inward = code.rpartition(" ")
    if not space or len(inward) != 3 or inward[0] not in DIGITS:
        return False
    if any(ch not in LETTERS or ch in NOT_INWARD for ch in inward[1:]):
        return False
    shape = "".join("9" if ch in DIGITS else "A" if ch in LETTERS else "?" for ch in outward)
    if shape not in SHAPES or outward[0] in NOT_FIRST:
        return False
    if shape.startswith("AA") and outward[1] in NOT_SECOND:
        return False
    if shape == "A9A" and outward[2] not in THIRD_IN_A9A:
        return False
    if shape != "AA9" and outward[shape.index("9")] == "0":  # a district starts with 0 only as AA0 (issue 24)
        return False
    return not (shape == "AA9A" and outward[3] not in FOURTH_IN_AA9A)


def typed(raw: str) -> str | None:
    """What the intake should store for `raw` as a person typed it, or None when it must be refused."""
    if not raw.isascii():
        return None
    parts = re.split(r"[\t\n\r ]+", raw.strip("\t\n\r "))
    if len(parts) == 2 and len(parts[1]) == 3:
        compact = parts[0] + parts[1]
    elif len(parts) == 1:
        compact = parts[0]
    else:
        return None
    code = f"{compact[:-3]} {compact[-3:]}".upper()
    return code if bs7666(code) else None


def typed_ok(raw: object) -> str | None:
    """What the intake stores (lax mode: a person's typing), or None when refused."""
    try:
        return POSTCODE.validate_python(raw)
    except ValidationError:
        return None


def wire_ok(raw: object) -> str | None:
    """What a consumer accepts (strict mode), or None; CanonicalPostcode must agree in both modes."""
    try:
        value = POSTCODE.validate_json(json.dumps(raw), strict=True)
    except ValidationError:
        value = None
    for strict in (True, False):
        try:
            assert ALWAYS_CANONICAL.validate_python(raw, strict=strict) == value
        except ValidationError:
            assert value is None
    return value


# -- the tables ----------------------------------------------------------------------------------------------------

REAL = [  # one real postcode of each outward format, and the two exceptions
    ("M1 1AE", "A9"), ("B33 8TH", "A99"), ("CR2 6XH", "AA9"), ("DN55 1PT", "AA99"), ("W1A 0AX", "A9A"),
    ("EC1A 1BB", "AA9A"), ("SS1 2AB", "AA9"), ("GIR 0AA", "Girobank"), ("BF1 3AA", "BFPO"), ("BF1 2AU", "BFPO"),
]

REFUSED = [
    ("QA1 1AA", "Q never first"), ("V1 1AA", "V never first"), ("XM4 5HQ", "X never first"),
    ("AI1 1AA", "I never second"), ("AJ1 1AA", "J never second"), ("AZ1 1AA", "Z never second"),
    ("A1I 1AA", "I never third in A9A"), ("W1L 1AA", "L never third in A9A"),
    ("EC1C 1BB", "C never fourth in AA9A"), ("SW1Z 1AA", "Z never fourth in AA9A"),
    ("SW1A 1CI", "C and I never in the inward code"), ("AB1 0OO", "O never in the inward code"),
    ("SW1A 1AK", "K never in the inward code"), ("SW1A 1MA", "M never in the inward code"),
    ("SW1A 1AV", "V never in the inward code"),
    ("ſW1A 1AA", "long s folds into S"), ("ß1 1AA", "sharp s upper-cases into SS"),
    ("SW1A\u00a01AA", "no-break space"), ("ＳW1A 1AA", "full-width S"), ("SW1A 1AA\u200b", "zero-width space"),
    ("\u212a1 1AA", "Kelvin sign"),
    ("GIR 1AA", "GIR is only GIR 0AA"), ("BFPO 123", "a BFPO number is not a postcode"),
    ("ASCN 1ZZ", "overseas territories are outside the rules"), ("SW12A 1AA", "too long"), ("S 1AA", "too short"),
    ("SW1A 1AA1", "too long"), ("SW1A 1 AA", "a space inside the inward code"), ("S W1A 1AA", "inside the outward"),
    ("", "empty"), ("12345", "digits"), ("SS1", "outward code only"), ("SS1 2AB X", "extra"),
]


@pytest.mark.parametrize(("code", "shape"), REAL)
def test_real_postcodes_of_each_format_are_accepted(code: str, shape: str) -> None:
    assert normalise_postcode(code) == code, shape
    assert wire_ok(code) == code, shape
    assert bs7666(code), shape  # the oracle agrees with the table


@pytest.mark.parametrize(("raw", "why"), REFUSED)
def test_codes_outside_the_position_rules_or_ascii_are_refused(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match="must be a UK postcode"):
        normalise_postcode(raw)
    assert typed_ok(raw) is None, why
    assert wire_ok(raw) is None, why
    assert typed(raw) is None, why  # the oracle agrees with the table


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("sw1a1aa", "SW1A 1AA"), (" SW1A  1AA ", "SW1A 1AA"), ("m11ae", "M1 1AE"), ("ec1a1bb", "EC1A 1BB"),
     ("GIR0AA", "GIR 0AA"), ("gir 0aa", "GIR 0AA"), ("bf13aa", "BF1 3AA"), ("SW1A\t1AA\n", "SW1A 1AA"),
     # longer than 10 characters as typed, 8 once the spaces are normalised: the length is checked after
     ("   SW1A       1AA   ", "SW1A 1AA")],
)
def test_the_intake_takes_a_postcode_as_a_person_types_it(raw: str, stored: str) -> None:
    assert normalise_postcode(raw) == stored
    assert typed_ok(raw) == stored
    assert typed(raw) == stored


@pytest.mark.parametrize("raw", ["sw1a 1aa", "SW1A1AA", " SW1A 1AA", "SW1A 1AA ", "SW1A  1AA", "SW1A\t1AA", "gir 0aa"])
def test_on_the_wire_only_the_canonical_form_is_accepted(raw: str) -> None:
    assert typed_ok(raw) is not None  # a person may type it so...
    assert wire_ok(raw) is None  # ...but an event must carry the canonical form


def test_a_referral_takes_a_long_typed_postcode_and_stores_it_canonically() -> None:
    from schemas.referral import Child

    child = Child.model_validate({"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2015-01-01",
                                  "postcode": "   sw1a       1aa   "})
    assert child.postcode == "SW1A 1AA"
    with pytest.raises(ValidationError):
        Child.model_validate({"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2015-01-01",
                              "postcode": "ſW1A 1AA"})


@pytest.mark.parametrize(("postcode", "on_the_wire"), [("SW1A 1AA", True), ("sw1a 1aa", False), ("SW1A1AA", False)])
def test_an_event_carries_the_canonical_postcode_only(postcode: str, on_the_wire: bool) -> None:
    from schemas.referral import Child

    body = json.dumps({"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2015-01-01", "postcode": postcode})
    assert Child.model_validate_json(body).postcode == "SW1A 1AA"  # lax: intake, a person's typing
    if on_the_wire:
        assert Child.model_validate_json(body, strict=True).postcode == postcode
    else:
        with pytest.raises(ValidationError, match="postcode"):
            Child.model_validate_json(body, strict=True)


# -- generated: the patterns, the types and the oracle agree -------------------------------------------------------

_NEAR = st.sampled_from([*DIGITS, *LETTERS, *string.ascii_lowercase, " ", "\t", "\n", "\x0b", "ſ", "ß", "\u00a0", "-"])


@st.composite
def near_postcodes(draw: st.DrawFn) -> str:
    """A postcode (canonical or typed) with up to three edits: many valid, many just outside the rules."""
    text = list(draw(st.one_of(st.from_regex(POSTCODE_PATTERN, fullmatch=True),
                               st.from_regex(POSTCODE_INPUT_PATTERN, fullmatch=True))))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        if edit == "insert" or not text:
            text.insert(at, draw(_NEAR))
        elif edit == "delete":
            del text[min(at, len(text) - 1)]
        else:
            text[min(at, len(text) - 1)] = draw(_NEAR)
    return "".join(text)


@pytest.mark.property
@settings(max_examples=400, deadline=None)
@given(near_postcodes())
def test_the_types_agree_with_the_rules_and_with_their_json_schema_patterns(raw: str) -> None:
    expected = typed(raw)
    assert typed_ok(raw) == expected
    assert (re.fullmatch(POSTCODE_INPUT_PATTERN, raw) is not None) == (expected is not None)
    canonical = expected is not None and expected == raw
    assert (wire_ok(raw) is not None) == canonical
    assert (re.fullmatch(POSTCODE_PATTERN, raw) is not None) == canonical


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(st.from_regex(POSTCODE_PATTERN, fullmatch=True))
def test_every_string_the_wire_pattern_allows_is_a_canonical_postcode(code: str) -> None:
    assert bs7666(code)
    assert wire_ok(code) == code
