import uuid
from datetime import date

import pytest

from schemas.names import name_key
from services.intake.children.identity import KnownChild, identity_of, is_near_match, resolve

A = uuid.UUID(int=1)
B = uuid.UUID(int=2)


def ident(given="Sam", family="Example", born=date(2015, 3, 4), postcode="SS1 2AB", nhs=None):
    return identity_of(given_name=given, family_name=family, born=born, postcode=postcode, nhs_number=nhs)


def test_name_key_ignores_case_accents_spaces_and_punctuation() -> None:
    assert name_key(" Zoë O'Brien-Smith ") == name_key("zoe obriensmith")


def test_nhs_number_wins_over_different_demographics() -> None:
    known = [KnownChild(A, ident(given="Samuel", postcode="SS9 9ZZ", nhs="9434765919"))]
    result = resolve(ident(nhs="9434765919"), known)
    assert (result.child_id, result.matched_on) == (A, "nhs_number")


def test_exact_demographics_match_when_no_nhs_number_conflicts() -> None:
    known = [KnownChild(A, ident(nhs="9434765919"))]
    assert resolve(ident(given="SAM", postcode="ss12ab"), known).child_id == A


def test_different_nhs_numbers_are_never_merged_but_are_flagged() -> None:
    known = [KnownChild(A, ident(nhs="9434765919"))]
    result = resolve(ident(nhs="4010232137"), known)
    assert result.child_id is None
    assert result.possible_duplicates == (A,)


@pytest.mark.parametrize(
    ("other", "near"),
    [
        (ident(given="Sma"), True),  # transposed letters
        (ident(given="Samuel"), True),  # short form
        (ident(family="Exampel"), True),
        (ident(born=date(2015, 4, 3)), True),  # day and month swapped
        (ident(born=date(2015, 3, 5)), True),  # one digit slip
        (ident(postcode="SS9 9ZZ"), True),  # moved house: same names and birth date
        (ident(given="Alex"), False),
        (ident(given="Sam", family="Other"), False),
        (ident(born=date(2012, 8, 19)), False),
        (ident(born=date(2015, 4, 3), postcode="SS9 9ZZ"), False),
    ],
)
def test_near_matches(other, near: bool) -> None:
    assert is_near_match(ident(), other) is near


def test_near_match_is_flagged_not_merged() -> None:
    known = [KnownChild(A, ident(given="Samuel")), KnownChild(B, ident(given="Alex"))]
    result = resolve(ident(), known)
    assert result.child_id is None
    assert result.possible_duplicates == (A,)


def test_exact_match_still_reports_other_near_matches() -> None:
    known = [KnownChild(A, ident()), KnownChild(B, ident(given="Samm"))]
    result = resolve(ident(), known)
    assert result.child_id == A and result.possible_duplicates == (B,)
