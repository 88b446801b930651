import pytest

from schemas.identifiers import normalise_nhs_number, normalise_postcode, normalise_upn


@pytest.mark.parametrize(
    ("raw", "stored"), [("943 476 5919", "9434765919"), ("9434765919", "9434765919"), ("401 023 2137", "4010232137")]
)
def test_valid_nhs_numbers_are_stored_without_spaces(raw: str, stored: str) -> None:
    assert normalise_nhs_number(raw) == stored


@pytest.mark.parametrize("raw", ["9434765918", "943476591", "94347659199", "94347A5919", "", "١٢٣٤٥٦٧٨٩٠"])
def test_invalid_nhs_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_nhs_number(raw)


def sample_nhs_number_whose_check_digit_would_be_ten_is_invalid() -> None:
    # 1000000010: weighted sum 10*1 + 2*1 = 12 -> 11 - 1 = 10 -> never issued.
    with pytest.raises(ValueError):
        normalise_nhs_number("1000000010")


@pytest.mark.parametrize("raw", ["H801200001001", "h801200001001", "B801200005001"])
def test_valid_upns(raw: str) -> None:
    assert normalise_upn(raw) == raw.upper()


@pytest.mark.parametrize("raw", ["A801200001001", "H80120000100", "I801200001001", "H8012000010011", "H80120000100O"])
def test_invalid_upns(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_upn(raw)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("ss12ab", "SS1 2AB"), (" SW1A  1AA ", "SW1A 1AA"), ("m11ae", "M1 1AE"), ("ec1a1bb", "EC1A 1BB"),
     ("GIR0AA", "GIR 0AA")],
)
def test_postcodes_are_normalised(raw: str, normalised: str) -> None:
    assert normalise_postcode(raw) == normalised


@pytest.mark.parametrize("raw", ["", "12345", "SS1", "SS1 2AB X", "Q1 1AA1"])
def test_invalid_postcodes(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_postcode(raw)
