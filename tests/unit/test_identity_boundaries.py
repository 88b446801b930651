"""Identity matching at its edges: how different two names or birth dates may be and still be "possibly the same
child", and what resolve() answers in each case. Found by `make mutate`; each row is a boundary a change would cross."""

import uuid
from datetime import date

import pytest

from services.intake.children.identity import KnownChild, Resolution, identity_of, is_near_match, resolve

A = uuid.UUID(int=1)
B = uuid.UUID(int=2)
NHS = "9434765919"


def ident(given="Sam", family="Example", born=date(2015, 3, 4), postcode="SS1 2AB", nhs=None):
    return identity_of(given_name=given, family_name=family, born=born, postcode=postcode, nhs_number=nhs)


@pytest.mark.parametrize(
    ("one", "other", "similar"),
    [
        ("Sam", "Samuel", True),  # a short form: one name starts the other, at least 3 letters long
        ("Jo", "Joanna", False),  # a 2-letter start is too short to count
        ("Al", "Alex", False),  # two letters added
        ("Jo", "Joe", True),  # one letter added at the end
        ("Jon", "John", True),  # one letter added in the middle
        ("Sam", "Sim", True),  # one letter changed
        ("Jenny", "Jemny", True),
        ("Luke", "Luka", True),
        ("Sam", "Tim", False),  # two letters changed
        ("Sophie", "Sohpie", True),  # two neighbouring letters swapped
        ("Katie", "Kaite", True),
        ("Dana", "Anna", False),  # two letters changed, one of them moved: not a swap
        ("Mary", "Myra", False),  # letters swapped that are not neighbours
    ],
)
def test_given_names_similar_enough_to_flag_a_child_who_moved(one: str, other: str, similar: bool) -> None:
    # A different postcode: only similar names (and the same birth date) make a near match.
    assert is_near_match(ident(given=one), ident(given=other, postcode="SS9 9ZZ")) is similar
    assert is_near_match(ident(given=other, postcode="SS9 9ZZ"), ident(given=one)) is similar


@pytest.mark.parametrize(
    ("other", "near"),
    [
        (ident(given="Sid"), True),  # same family, birth date and address, same initial
        (ident(given="Sid", postcode="SS9 9ZZ"), False),  # ... but not at another address
        (ident(given="Alex", born=date(2015, 4, 3)), False),  # a date slip needs the same names, not just family
        (ident(family="Other", born=date(2015, 4, 3)), False),
        (ident(born=date(2016, 3, 4)), True),  # a slip in the year's last digit
        (ident(born=date(2015, 3, 15)), False),  # two digits differ
        (ident(born=date(2015, 3, 5), postcode="SS9 9ZZ"), False),  # a date slip needs the same postcode
    ],
)
def test_near_match_boundaries(other, near: bool) -> None:
    assert is_near_match(ident(), other) is near
    assert is_near_match(other, ident()) is near


@pytest.mark.parametrize(
    ("known", "new", "expected"),
    [
        ([], ident(), Resolution(None, "new")),
        ([KnownChild(A, ident(given="Samuel"))], ident(), Resolution(None, "new", (A,))),
        ([KnownChild(A, ident())], ident(), Resolution(A, "demographics")),
        # The NHS number wins over a child with the very same demographics, who is then a possible duplicate.
        ([KnownChild(A, ident()), KnownChild(B, ident(given="Bea", nhs=NHS))], ident(nhs=NHS),
         Resolution(B, "nhs_number", (A,))),
        # The matched child is never its own duplicate; the other near match is reported.
        ([KnownChild(A, ident(nhs=NHS)), KnownChild(B, ident(given="Samuel"))], ident(nhs=NHS),
         Resolution(A, "nhs_number", (B,))),
        ([KnownChild(A, ident(given="Samuel")), KnownChild(B, ident())], ident(),
         Resolution(B, "demographics", (A,))),
    ],
)
def test_resolution(known: list[KnownChild], new, expected: Resolution) -> None:
    assert resolve(new, known) == expected
