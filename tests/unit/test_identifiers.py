"""NHS numbers and UPNs: check digits, the forms a person may type, and the canonical form on the wire."""

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from schemas.identifiers import (
    NHS_NUMBER_INPUT_PATTERN,
    NHS_NUMBER_PATTERN,
    UPN_INPUT_PATTERN,
    UPN_PATTERN,
    CanonicalNhsNumber,
    CanonicalUpn,
    NhsNumber,
    Upn,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
)


def lax(type_: object, raw: object) -> str | None:
    try:
        return TypeAdapter(type_).validate_python(raw)
    except ValidationError:
        return None


def strict(type_: object, raw: str) -> str | None:
    try:
        return TypeAdapter(type_).validate_python(raw, strict=True)
    except ValidationError:
        return None


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("943 476 5919", "9434765919"), ("9434765919", "9434765919"), ("401 023 2137", "4010232137"),
     (" 943 476 5919\t", "9434765919"), ("9 4 3 4 7 6 5 9 1 9", "9434765919"), ("943  476  5919", "9434765919")],
)
def test_valid_nhs_numbers_are_stored_without_spaces(raw: str, stored: str) -> None:
    assert normalise_nhs_number(raw) == stored
    assert lax(NhsNumber, raw) == stored
    assert re.fullmatch(NHS_NUMBER_INPUT_PATTERN, raw)


@pytest.mark.parametrize(
    "raw",
    ["9434765918", "943476591", "94347659199", "94347A5919", "", "١٢٣٤٥٦٧٨٩٠", "943-476-5919", "943\u00a0476 5919",
     "９434765919", "943\t476 5919", " ", "0000000001"],
)
def test_invalid_nhs_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_nhs_number(raw)
    assert lax(NhsNumber, raw) is None


def test_an_nhs_number_whose_check_digit_would_be_ten_is_invalid() -> None:
    # 1000000010: weighted sum 10*1 + 2*1 = 12 -> 11 - 1 = 10 -> never issued.
    with pytest.raises(ValueError, match="check digit"):
        normalise_nhs_number("1000000010")


@pytest.mark.parametrize("raw", ["943 476 5919", " 9434765919", "9434765919 ", "9434765919\n"])
def test_on_the_wire_an_nhs_number_is_ten_digits_and_nothing_else(raw: str) -> None:
    assert lax(NhsNumber, raw) == "9434765919"  # a person may type it so
    assert strict(NhsNumber, raw) is None  # an event may not carry it so
    assert lax(CanonicalNhsNumber, raw) is None
    assert not re.fullmatch(NHS_NUMBER_PATTERN, raw)
    assert strict(NhsNumber, "9434765919") == lax(CanonicalNhsNumber, "9434765919") == "9434765919"


@pytest.mark.parametrize("raw", ["H801200001001", "h801200001001", "B801200005001", " B801200005001\t"])
def test_valid_upns(raw: str) -> None:
    assert normalise_upn(raw) == raw.strip().upper()
    assert lax(Upn, raw) == raw.strip().upper()
    assert re.fullmatch(UPN_INPUT_PATTERN, raw)


@pytest.mark.parametrize(
    "raw",
    ["A801200001001", "H80120000100", "I801200001001", "H8012000010011", "H80120000100O", "H 801200001001",
     "Ｈ801200001001", "H801200001001\u00a0", "H80120000100I", "H80120000100S", "S801200001001"],
)
def test_invalid_upns(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_upn(raw)
    assert lax(Upn, raw) is None


@pytest.mark.parametrize("raw", ["h801200001001", " H801200001001", "H801200001001\n"])
def test_on_the_wire_a_upn_is_upper_case_without_spaces(raw: str) -> None:
    assert lax(Upn, raw) == "H801200001001"
    assert strict(Upn, raw) is None
    assert lax(CanonicalUpn, raw) is None
    assert not re.fullmatch(UPN_PATTERN, raw)
    assert strict(Upn, "H801200001001") == lax(CanonicalUpn, "H801200001001") == "H801200001001"


def test_a_number_is_not_a_string_in_either_mode() -> None:
    assert lax(NhsNumber, 9434765919) is None
    assert strict(NhsNumber, 9434765919) is None  # type: ignore[arg-type]


def test_the_normalisers_do_not_mention_the_value_in_their_errors() -> None:
    for normalise, raw in ((normalise_nhs_number, "9434765918"), (normalise_upn, "A801200001001"),
                           (normalise_postcode, "QA1 1AA")):
        with pytest.raises(ValueError) as caught:
            normalise(raw)
        assert raw not in str(caught.value)
