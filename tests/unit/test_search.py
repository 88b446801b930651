"""Finding a child, the pure part (services/common/search.py): what a typed query is read as, the trigram similarity
(pg_trgm's, so the database's pre-selection and this ranking agree), and the ranking, as tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.common import search
from services.common.search import Query, Record, parse, rank
from services.demo import sample_nhs_number

NHS = sample_nhs_number(5)
SPACED_NHS = f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}"
AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(("typed", "expected"), [
    ("", Query()),
    ("   ", Query()),
    (SPACED_NHS, Query(nhs_number=NHS)),
    (f" {NHS} ", Query(nhs_number=NHS)),
    ("943 476 5910", Query()),  # ten digits whose check digit is wrong: no NHS number, and nothing else either
    ("h801200001001", Query(upn="H801200001001")),
    ("3/7/2015", Query(dates=(date(2015, 7, 3), date(2015, 3, 7)))),
    ("03-07-2015", Query(dates=(date(2015, 7, 3), date(2015, 3, 7)))),
    ("2015-07-03", Query(dates=(date(2015, 7, 3), date(2015, 3, 7)))),
    ("25/7/2015", Query(dates=(date(2015, 7, 25),))),  # 25 cannot be a month: no swap
    ("7/7/2015", Query(dates=(date(2015, 7, 7),))),  # the swap is the same day
    ("3 July 2015", Query(dates=(date(2015, 7, 3), date(2015, 3, 7)))),
    ("31/2/2015", Query()),  # not a date
    ("03072015", Query(dates=(date(2015, 7, 3), date(2015, 3, 7)), reference="03072015")),
    ("ts1", Query(district="TS1")),
    ("TS1 3ba", Query(postcode="TS1 3BA", district="TS1")),
    ("ts13ba", Query(postcode="TS1 3BA", district="TS1")),
    ("ab12cd34", Query(reference="AB12CD34")),
    ("AB12 CD34", Query(reference="AB12CD34")),
    ("4b9a1c1e-8a7f-4b76-9bb2-56fd0d8b8a10", Query(reference="4B9A1C1E8A7F4B769BB256FD0D8B8A10")),
    ("Zoë Smith-Jones", Query(name_words=("zoe", "smithjones"))),
    ("zoe smith jones", Query(name_words=("zoe", "smith", "jones"))),
    ("O'Brien, Ørjan", Query(name_words=("obrien", "f8rjan"))),
    ("Smith 3", Query()),  # a digit: not a name, and nothing else
    ("a", Query()),  # one letter says nothing
])
def test_a_query_is_read_as_everything_it_can_be(typed: str, expected: Query) -> None:
    assert parse(typed) == expected


def test_the_kinds_of_a_query_name_what_it_was_read_as_never_its_text() -> None:
    assert parse("03072015").kinds == ("date_of_birth", "reference")
    assert parse("Zoe").kinds == ("name",)
    assert parse("").kinds == ()


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("zoe", "zoe", 1.0),
    ("zoe", "", 0.0),
    ("smith", "smithjones", 5 / 12),  # the first five of smithjones' eleven trigrams
    ("zoe smith jones", "zoe smithjones", 13 / 18),
    ("jon", "john", 2 / 7),
])
def test_similarity_is_pg_trgm_s(a: str, b: str, expected: float) -> None:
    assert search.similarity(a, b) == pytest.approx(expected)


def child(n: int, given: str, family: str, born: date = date(2015, 7, 3), **fields: object) -> Record:
    return Record(child_id=f"child-{n}", given_name=given, family_name=family, date_of_birth=born, at=AT,
                  **fields)  # type: ignore[arg-type]


ZOE = child(1, "Zoë", "Smith-Jones", postcode="TS1 3BA", nhs_number=NHS, upn="H801200001001",
            references=("AB12CD34" + "0" * 24,))
AMY = child(2, "Amy", "Smith-Jones", date(2013, 1, 9), postcode="TS1 4DE")
SAM = child(3, "Sam", "Lee", date(2015, 3, 7), postcode="SS7 3QZ")
SAMUEL = child(4, "Samuel", "Leigh", date(2014, 5, 1), postcode="TS10 1AA")
EVERYONE = (ZOE, AMY, SAM, SAMUEL)


@pytest.mark.parametrize(("typed", "found"), [
    ("zoe smith jones", ["child-1", "child-2"]),  # Zoe first: her whole name; then her sister, by the family name
    ("Zoë Smith-Jones", ["child-1", "child-2"]),
    ("smithjones", ["child-2", "child-1"]),  # the family name alone: both alike, by given name
    ("Smith Jones", ["child-2", "child-1"]),
    ("Zoey Smyth-Jones", ["child-1", "child-2"]),  # misspelt twice
    ("zoe", ["child-1"]),
    ("Sma Lee", ["child-3"]),  # two letters swapped
    ("Samuel", ["child-4", "child-3"]),
    ("Nobody Atall", []),
    (SPACED_NHS, ["child-1"]),
    ("h801200001001", ["child-1"]),
    ("3/7/2015", ["child-1", "child-3"]),  # Zoe born that day as typed; Sam on the day with day and month swapped
    ("2015-03-07", ["child-3", "child-1"]),
    ("TS1", ["child-2", "child-1"]),  # TS1 only: not TS10
    ("TS1 3BA", ["child-1", "child-2"]),  # the postcode itself first, then its district
    ("ab12cd34", ["child-1"]),
    ("ab12cd35", []),
])
def test_the_ranking_finds_the_right_children_in_order(typed: str, found: list[str]) -> None:
    assert [h.child_id for h in rank(parse(typed), EVERYONE)] == found


@pytest.mark.parametrize(("typed", "matched"), [
    ("3/7/2015", ["date_of_birth", "date_of_birth_swapped"]),
    ("TS1 3BA", ["postcode", "postcode_district"]),
    (SPACED_NHS, ["nhs_number"]),
    ("zoe", ["name"]),
])
def test_each_hit_says_what_it_matched_on(typed: str, matched: list[str]) -> None:
    assert [h.matched for h in rank(parse(typed), EVERYONE)] == matched


def test_a_child_is_found_once_by_its_best_record_and_shown_as_its_latest() -> None:
    older = Record(child_id="child-9", given_name="Robni", family_name="Historytest", date_of_birth=date(2014, 2, 27),
                   at=AT, school="Old School")
    newer = Record(child_id="child-9", given_name="Robin", family_name="Historytest", date_of_birth=date(2014, 2, 27),
                   at=AT.replace(month=4), school="New School")
    [hit] = rank(parse("Robni Historytest"), [newer, older])
    assert (hit.score, hit.record.school, hit.record.given_name) == (1.0, "New School", "Robin")
    unlike = Record(child_id="child-9", given_name="Quite", family_name="Different", date_of_birth=None,
                    at=AT.replace(month=5), school="Newest School")
    [hit] = rank(parse("Robni Historytest"), [older, unlike])  # found by one record, shown as its latest of all
    assert (hit.score, hit.record.school) == (1.0, "Newest School")
    assert rank(parse("Quite Different"), [older]) == []


def test_at_most_the_limit_is_shown() -> None:
    many = [child(n, "Alex", "Same") for n in range(10)]
    assert [h.child_id for h in rank(parse("alex same"), many, limit=3)] == ["child-0", "child-1", "child-2"]


@pytest.mark.parametrize(("postcode", "district"), [("TS1 3BA", "TS1"), ("ts13ba", "TS1"), ("nonsense", None),
                                                    (None, None)])
def test_a_postcode_s_district(postcode: str | None, district: str | None) -> None:
    assert search.district_of(postcode) == district


def test_a_reference_is_the_first_eight_characters_of_an_id_as_pages_show_it() -> None:
    assert search.reference_of(uuid.UUID("4b9a1c1e-8a7f-4b76-9bb2-56fd0d8b8a10")) == "4B9A1C1E"
