"""Duplicate children, the pure part (services/intake/children/domain.py): pairs in their stored order, the record a
merged child lives on, an identity resolution with people's decisions applied, when a merge is refused, what two
records have in common in words, and the possible-duplicate flags a merge clears and its undo restores. (Whether a
merge can still be undone: test_merge_undo_rule.py.)"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.common.errors import ConflictError
from services.intake.children import domain
from services.intake.children.identity import Identity, Resolution

A, B, C, D = (uuid.UUID(int=n) for n in (1, 2, 3, 4))


def test_survivor_of_follows_merges_to_their_end() -> None:
    assert [domain.survivor_of(x, {A: B, B: C}) for x in (A, B, C, D)] == [C, C, C, D]


def test_settle_lands_a_merged_child_on_its_survivor_and_drops_decided_or_own_near_matches() -> None:
    merged = {A: B}
    assert domain.settle(Resolution(A, "demographics", (C, D)), merged, set()) == Resolution(
        B, "demographics", (C, D))
    assert domain.settle(Resolution(A, "demographics", (B, C)), merged, {(B, C)}) == Resolution(
        B, "demographics", ())
    assert domain.settle(Resolution(C, "nhs_number", (A, B)), merged, set()) == Resolution(C, "nhs_number", (B,))
    assert domain.settle(Resolution(C, "nhs_number", (A, D)), merged, {(A, C)}) == Resolution(
        C, "nhs_number", (D,))
    assert domain.settle(Resolution(None, "new", (A, B, C)), merged, {(B, C)}) == Resolution(None, "new", (B, C))


def test_pair_is_ordered_and_check_merge_allows_two_records_neither_merged() -> None:
    assert domain.pair(B, A) == domain.pair(A, B) == (A, B)
    domain.check_merge(A, B, [C])


@pytest.mark.parametrize(("survivor", "merged", "why"), [
    (A, A, "A child record cannot be merged with itself"),
    (A, C, "One of these child records was already merged into another"),
    (C, A, "One of these child records was already merged into another"),
])
def test_check_merge_refuses_itself_and_merged_records_saying_why(survivor: uuid.UUID, merged: uuid.UUID,
                                                                   why: str) -> None:
    with pytest.raises(ConflictError) as refused:
        domain.check_merge(survivor, merged, [C])
    assert str(refused.value) == why


def identity(given: str, family: str = "lee", born: date = date(2014, 5, 1), postcode: str = "SS73QZ",
             nhs: str | None = None) -> Identity:
    return Identity(given, family, born, postcode, nhs)


@pytest.mark.parametrize(("other", "words"), [
    (identity("sam"), ["the same name", "the same date of birth", "the same postcode"]),
    (identity("sma", postcode="E11AA"), ["a similar name", "the same date of birth"]),
    (identity("jo"), ["the same family name", "the same date of birth", "the same postcode"]),
    (identity("sam", born=date(2014, 1, 5)), ["the same name", "a date of birth with the day and month swapped or one "
                                                               "digit different", "the same postcode"]),
    (identity("kim", "ng", date(2010, 1, 1), "E11AA", "9990000018"), ["different NHS numbers"]),
])
def test_what_matched_is_said_in_words(other: Identity, words: list[str]) -> None:
    assert domain.matched_words(identity("sam", nhs="9990000026"), other) == words


def test_restored_puts_cleared_flags_back_in_place_and_keeps_later_changes() -> None:
    assert domain.restored(["a", "b", "c"], ["b"], ["a", "c"]) == ["a", "b", "c"]
    assert domain.restored(["a", "b", "c"], ["b"], ["c", "d"]) == ["b", "c", "d"]  # a cleared since, d added


@pytest.mark.parametrize(("flags", "drop", "merged_into", "left"), [
    ([A, C, D], {B}, {A: B}, [C, D]),  # A was merged into B: dropping B drops it
    ([B, C], {B}, {}, [C]),  # one of `drop` itself
    ([A, C], {A}, {A: B}, [C]),  # one of `drop` though merged into another since
    ([A, C], set(), {A: B}, [A, C]),  # nothing to drop: as they were, in order
])
def test_possible_duplicates_without_some_records(flags: list[uuid.UUID], drop: set[uuid.UUID],
                                                  merged_into: dict[uuid.UUID, uuid.UUID],
                                                  left: list[uuid.UUID]) -> None:
    assert domain.without([str(f) for f in flags], drop, merged_into) == [str(f) for f in left]
