"""The DSR panel's whole-register view (issue 23, item 9), the pure parts: the register view's age bands (finer than
the return's: 14-17 is when planning for adulthood starts), when the next review falls (overdue, due in 14 days,
later, not set), which entries the filters keep, the counts beside each choice (each facet counted with the other
filters applied) and the order by next review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.dsr.rules import (
    REGISTER_AGE_BANDS,
    REVIEW_WHEN,
    RegisterRow,
    facet_counts,
    kept,
    register_band,
    register_order,
    review_when,
)

TODAY = date(2026, 3, 4)


def born(years: int, days: int = 0) -> date:
    return date(TODAY.year - years, TODAY.month, TODAY.day) + timedelta(days=days)


@pytest.mark.parametrize(("dob", "band"), [
    (born(0), "0-13"), (born(13), "0-13"), (born(14, 1), "0-13"), (born(14), "14-17"), (born(17), "14-17"),
    (born(18, 1), "14-17"), (born(18), "18-25"), (born(25), "18-25"), (born(26, 1), "18-25"), (born(26), "26+"),
    (born(70), "26+"), (None, "unknown"),
    (date(2012, 2, 29), "14-17"),  # a leap-day birthday: 14 on 1 March 2026
])
def test_register_age_bands(dob: date | None, band: str) -> None:
    assert register_band(dob, TODAY) == band


def test_the_bands_in_order() -> None:
    assert REGISTER_AGE_BANDS == ("0-13", "14-17", "18-25", "26+")
    assert REVIEW_WHEN == ("overdue", "due_14_days", "later", "not_set")


@pytest.mark.parametrize(("due", "when"), [
    (TODAY - timedelta(days=1), "overdue"), (TODAY, "due_14_days"), (TODAY + timedelta(days=14), "due_14_days"),
    (TODAY + timedelta(days=15), "later"), (None, "not_set"),
])
def test_when_the_next_review_falls(due: date | None, when: str) -> None:
    assert review_when(due, TODAY) == when


def row(name: str, rating: str | None, source: str, age_band: str, review: str, track: str | None = "CETR",
        due: date | None = None) -> RegisterRow:
    return RegisterRow(name, {"rating": rating or "unrated", "source": source, "age_band": age_band,
                              "next_review": review, "track": track or "unknown"}, due)


ROWS = [
    row("a", "red", "triage", "14-17", "overdue", due=TODAY - timedelta(days=3)),
    row("b", "red", "direct", "26+", "due_14_days", "CTR", due=TODAY + timedelta(days=2)),
    row("c", "amber", "triage", "0-13", "later", due=TODAY + timedelta(days=60)),
    row("d", None, "direct", "18-25", "not_set", "CTR"),
    row("e", "blue", "triage", "14-17", "due_14_days", due=TODAY + timedelta(days=1)),
]


@pytest.mark.parametrize(("chosen", "names"), [
    ({}, ["a", "b", "c", "d", "e"]),
    ({"rating": ["red"]}, ["a", "b"]),
    ({"rating": ["red", "blue"]}, ["a", "b", "e"]),  # choices within a filter: any of them
    ({"rating": ["red"], "source": ["triage"]}, ["a"]),  # across filters: all of them
    ({"rating": ["unrated"]}, ["d"]),
    ({"age_band": ["14-17"], "next_review": ["due_14_days"]}, ["e"]),
    ({"track": ["CTR"]}, ["b", "d"]),
    ({"rating": []}, ["a", "b", "c", "d", "e"]),  # nothing ticked: no filter
])
def test_the_filters_keep_entries_matching_every_filter_and_any_choice_within_one(
    chosen: dict[str, list[str]], names: list[str],
) -> None:
    assert [r.key for r in ROWS if kept(r, chosen)] == names


def test_each_choice_is_counted_with_the_other_filters_applied() -> None:
    counts = facet_counts(ROWS, {"rating": ["red"], "source": ["triage"]}, {
        "rating": ("red", "amber", "green", "blue", "unrated"), "source": ("triage", "direct"),
        "age_band": ("0-13", "14-17")})
    assert counts["rating"] == {"red": 1, "amber": 1, "green": 0, "blue": 1, "unrated": 0}  # triage only
    assert counts["source"] == {"triage": 1, "direct": 1}  # red only
    assert counts["age_band"] == {"0-13": 0, "14-17": 1}  # red and triage


def test_sorted_by_next_review_soonest_or_latest_first_with_no_date_last() -> None:
    assert [r.key for r in register_order(ROWS)] == ["a", "e", "b", "c", "d"]
    assert [r.key for r in register_order(ROWS, latest_first=True)] == ["c", "b", "e", "a", "d"]
