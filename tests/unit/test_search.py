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
    ("Jo", Query(name_words=("jo",))),  # two letters are a name
    ("ts 1", Query(district="TS1")),  # a district typed with a space
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
    ("sammy", "samuel", 0.3),  # exactly the threshold
    ("", "", 0.0),  # no trigrams at all: nothing alike (pg_trgm's answer, not a division by zero)
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
    ("Sammy", ["child-3", "child-4"]),  # Samuel only just: his given name exactly at the threshold (0.3) is found
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
    ("3/7/2015", [("date_of_birth", 1.0), ("date_of_birth_swapped", 0.9)]),
    ("TS1 3BA", [("postcode", 1.0), ("postcode_district", 0.8)]),  # the district of the postcode typed: less
    ("TS1", [("postcode_district", 1.0), ("postcode_district", 1.0)]),  # the district typed: exactly what was asked
    (SPACED_NHS, [("nhs_number", 1.0)]),
    ("zoe", [("name", 1.0)]),
    ("Sammy", [("name", 0.428571), ("name", 0.3)]),
])
def test_each_hit_says_what_it_matched_on_and_how_well(typed: str, matched: list[tuple[str, float]]) -> None:
    assert [(h.matched, h.score) for h in rank(parse(typed), EVERYONE)] == matched


def test_a_record_answering_two_ways_is_found_by_the_better() -> None:
    both = child(5, "Ali", "Khan", date(2015, 3, 7), references=("03072015" + "0" * 24,))
    [hit] = rank(parse("03072015"), [both])  # its reference (exact), and its date of birth with day and month swapped
    assert (hit.matched, hit.score) == ("reference", 1.0)


@pytest.mark.parametrize(("typed", "record"), [
    ("zoe", child(6, None, None)),  # type: ignore[arg-type]  # a record without a name is never found by one
    ("Nobody Atall", child(7, "Amy", "Lee", postcode="NFA")),  # "no fixed abode": no district to be found by
])
def test_what_a_record_lacks_it_is_not_found_by(typed: str, record: Record) -> None:
    assert rank(parse(typed), [record]) == []


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


def same_district(child_id: str, given: str | None, family: str | None, born: date | None) -> Record:
    return Record(child_id=child_id, given_name=given, family_name=family, date_of_birth=born, at=AT,
                  postcode="TS1 1AA")


TIES = [  # as they should come: by family name, given name (no name first), date of birth (none first), then id
    same_district("c-e", "Zoe", None, date(2015, 1, 1)),
    same_district("c-c", None, "Able", date(2015, 1, 1)),
    same_district("c-h", "Amy", "Able", date(2015, 1, 1)),
    same_district("c-f", "Zoe", "Able", None),
    same_district("c-z", "Zoe", "Able", date(2014, 1, 1)),
    same_district("c-b", "Zoe", "Able", date(2015, 1, 1)),
    same_district("c-g", "Zoe", "Able", date(2015, 1, 1)),
    same_district("c-a", "Amy", "Zed", date(2015, 1, 1)),
]


@pytest.mark.parametrize("given", [TIES, TIES[::-1], TIES[3:] + TIES[:3]])
def test_equally_good_answers_come_by_name_then_date_of_birth_then_id(given: list[Record]) -> None:
    assert [h.child_id for h in rank(parse("TS1"), given)] == [r.child_id for r in TIES]


def test_at_most_the_limit_is_shown() -> None:
    many = [child(n, "Alex", "Same") for n in range(10)]
    assert [h.child_id for h in rank(parse("alex same"), many, limit=3)] == ["child-0", "child-1", "child-2"]


@pytest.mark.parametrize(("postcode", "district"), [("TS1 3BA", "TS1"), ("ts13ba", "TS1"), ("nonsense", None),
                                                    (None, None)])
def test_a_postcode_s_district(postcode: str | None, district: str | None) -> None:
    assert search.district_of(postcode) == district


def test_a_reference_is_the_first_eight_characters_of_an_id_as_pages_show_it() -> None:
    assert search.reference_of(uuid.UUID("4b9a1c1e-8a7f-4b76-9bb2-56fd0d8b8a10")) == "4B9A1C1E"


@pytest.mark.parametrize(("limit", "found", "more"), [(1, ["child-2"], True), (2, ["child-2", "child-1"], False),
                                                     (3, ["child-2", "child-1"], False)])
def test_an_answer_shows_at_most_the_limit_and_says_whether_there_were_more(limit: int, found: list[str],
                                                                             more: bool) -> None:
    answer = search.answer(parse("TS1"), EVERYONE, limit=limit)
    assert ([r["child_id"] for r in answer["results"]], answer["more"], answer["looked_for"]) == (found, more,
                                                                                                   ["postcode"])


def test_a_result_shows_enough_to_tell_children_apart_and_nothing_more() -> None:
    entry = Record(child_id=str(uuid.UUID(int=2)), given_name="Sam", family_name="Lee", date_of_birth=None, at=AT,
                   nhs_number=NHS, upn="H801200001001", postcode="SS7 3QZ", school="Hill Primary", link="entry-9")
    referral = Record(child_id=str(uuid.UUID(int=1)), given_name="Sam", family_name="Lee",
                      date_of_birth=date(2015, 3, 7), at=AT, nhs_number=NHS, postcode="SS7 3QZ")
    answer = search.answer(parse(SPACED_NHS), [entry, referral])
    assert answer["results"] == [
        {"child_id": str(uuid.UUID(int=2)), "given_name": "Sam", "family_name": "Lee", "date_of_birth": None,
         "school": "Hill Primary", "postcode_district": "SS7", "matched": "nhs_number", "entry_id": "entry-9"},
        {"child_id": str(uuid.UUID(int=1)), "given_name": "Sam", "family_name": "Lee", "date_of_birth": "2015-03-07",
         "school": None, "postcode_district": "SS7", "matched": "nhs_number"},
    ]  # no NHS number, UPN or full postcode: a register entry's id only where the record is one
    assert search.child_ids(answer) == (uuid.UUID(int=2), uuid.UUID(int=1))


@pytest.mark.parametrize(("typed", "prefix", "action"), [
    ("03072015", "search", "search.date_of_birth+reference"),
    ("Zoe", "register.search", "register.search.name"),
    ("", "search", "search.nothing"),
])
def test_the_audit_names_the_kind_of_query_never_its_text(typed: str, prefix: str, action: str) -> None:
    assert search.action_of(parse(typed), prefix) == action
    assert search.action_of(parse(typed)) == f"search.{action.split('.')[-1]}"


@pytest.mark.parametrize(("value", "expected"), [
    (date(2015, 7, 3), date(2015, 7, 3)), ("2015-07-03", date(2015, 7, 3)), (None, None), ("", None),
    ("3 July 2015", None),
])
def test_a_stored_date_of_birth(value: object, expected: date | None) -> None:
    assert search.born(value) == expected


@pytest.mark.parametrize(("given", "family", "text"), [
    ("Zoë", "Smith-Jones", "zoe smithjones"), (None, "Lee", "lee"), ("Sam", None, "sam"), ("", "O'Brien", "obrien"),
    (None, None, ""),
])
def test_the_text_a_name_is_found_by(given: str | None, family: str | None, text: str) -> None:
    assert search.names_text(given, family) == text
