"""Every register rule in shared/design/dsr.md, table-tested on the pure core."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.workdays import WorkingCalendar
from services.dsr.rules import (
    AgendaItem,
    Rating,
    RegisterPolicy,
    Status,
    Track,
    agenda_order,
    consent_reconfirm_due,
    is_higher,
    is_overdue,
    next_review,
    on_agenda,
    on_candidate,
    on_consent_withdrawn,
    review_track,
    tasks_for_rating,
)

CAL = WorkingCalendar()
TODAY = date(2026, 11, 23)  # a Monday
CHILD = date(2014, 5, 1)  # 12
YOUNG_ADULT = date(2004, 5, 1)  # 22
ADULT = date(1990, 5, 1)  # 36


@pytest.mark.parametrize(
    ("rating", "born", "keyworker", "kinds"),
    [
        (Rating.red, CHILD, False, ["cetr_required", "keyworker_referral"]),
        (Rating.red, CHILD, True, ["cetr_required"]),
        (Rating.red, ADULT, False, ["cetr_required"]),  # keyworkers are for 0-25
        (Rating.amber, YOUNG_ADULT, False, ["mdt_or_cetr", "keyworker_referral"]),
        (Rating.amber, ADULT, False, ["mdt_or_cetr"]),
        (Rating.blue, CHILD, False, ["inpatient_cetr"]),
        (Rating.blue, YOUNG_ADULT, False, []),  # inpatient C(E)TR every 3 months is for under 18s
        (Rating.green, CHILD, False, []),
    ],
)
def test_each_rating_raises_its_tasks(rating: Rating, born: date, keyworker: bool, kinds: list[str]) -> None:
    tasks = tasks_for_rating(rating, born=born, has_keyworker=keyworker, today=TODAY, calendar=CAL)
    assert [t.kind for t in tasks] == kinds
    assert all(t.due > TODAY for t in tasks)


def test_inpatient_cetr_is_due_in_three_months() -> None:
    (task,) = tasks_for_rating(Rating.blue, born=CHILD, has_keyworker=False, today=TODAY, calendar=CAL)
    assert task.due == date(2027, 2, 21)


@pytest.mark.parametrize(
    ("rating", "due"),
    [(Rating.red, date(2026, 11, 30)), (Rating.amber, date(2026, 12, 7)), (Rating.green, date(2027, 2, 22)),
     (Rating.blue, date(2027, 2, 22))],
)
def test_next_review_defaults_by_rating(rating: Rating, due: date) -> None:
    assert next_review(rating, TODAY) == due


def test_review_intervals_are_configurable() -> None:
    policy = RegisterPolicy(review_days={Rating.red: 3, Rating.amber: 10, Rating.green: 60, Rating.blue: 30})
    assert next_review(Rating.red, TODAY, policy) == date(2026, 11, 26)


@pytest.mark.parametrize(
    ("born", "ehcp", "today", "track"),
    [
        (date(2008, 11, 24), False, TODAY, Track.cetr),  # 17, the day before the 18th birthday
        (date(2008, 11, 23), False, TODAY, Track.ctr),  # 18 today: the track changes, the entry does not
        (date(2008, 11, 23), True, TODAY, Track.cetr),  # with an EHCP: CETR up to 25
        (ADULT, False, TODAY, Track.ctr),
        (date(2008, 2, 29), False, date(2026, 2, 28), Track.cetr),  # a leap-day birthday is reached on 1 March
        (date(2008, 2, 29), False, date(2026, 3, 1), Track.ctr),
    ],
)
def test_review_track_follows_age_and_ehcp(born: date, ehcp: bool, today: date, track: Track) -> None:
    assert review_track(born, ehcp, today) is track


@pytest.mark.parametrize(
    ("suggested", "than", "higher"),
    [
        (Rating.red, Rating.amber, True), (Rating.blue, Rating.red, True), (Rating.amber, Rating.green, True),
        (Rating.green, Rating.red, False), (Rating.red, Rating.red, False), (Rating.red, Rating.blue, False),
        (Rating.green, None, True), (None, Rating.green, False),
    ],
)
def test_severity_order_is_blue_red_amber_green(suggested: Rating | None, than: Rating | None, higher: bool) -> None:
    assert is_higher(suggested, than) is higher


def candidate(**kw: object) -> object:
    args = {"open_entry_rating": None, "open_entry_suggested": None, "has_open_entry": False, "suggested": Rating.amber,
            "consent_given": True, "today": TODAY, "calendar": CAL} | kw
    return on_candidate(**args)  # type: ignore[arg-type]


def test_a_new_candidate_makes_a_pending_entry_by_consent() -> None:
    assert candidate(consent_given=True).status is Status.pending_review
    assert candidate(consent_given=False).status is Status.pending_consent
    assert candidate().create is True


def test_a_higher_suggestion_on_an_open_entry_escalates_and_pulls_the_review_forward() -> None:
    outcome = candidate(has_open_entry=True, open_entry_rating=Rating.amber, suggested=Rating.red)
    assert outcome.create is False and outcome.escalate is True
    assert outcome.next_review_due == date(2026, 11, 24)
    friday = candidate(has_open_entry=True, open_entry_rating=Rating.amber, suggested=Rating.red,
                       today=date(2026, 12, 24))
    assert friday.next_review_due == date(2026, 12, 29)  # over Christmas and Boxing Day (observed)


def test_a_lower_or_equal_suggestion_is_only_noted() -> None:
    for suggested in (Rating.amber, Rating.green):
        outcome = candidate(has_open_entry=True, open_entry_rating=Rating.amber, suggested=suggested)
        assert (outcome.create, outcome.escalate) == (False, False)


def test_before_a_first_review_the_last_suggestion_is_the_reference() -> None:
    assert candidate(has_open_entry=True, open_entry_suggested=Rating.red, suggested=Rating.amber).escalate is False
    assert candidate(has_open_entry=True, open_entry_suggested=Rating.amber, suggested=Rating.blue).escalate is True


def test_consent_withdrawal_closes_and_suppresses() -> None:
    assert on_consent_withdrawn() == (Status.closed, True)


def test_consent_is_reconfirmed_every_year() -> None:
    assert consent_reconfirm_due(TODAY) == date(2027, 11, 23)


@pytest.mark.parametrize(("due", "overdue"), [(date(2026, 11, 22), True), (TODAY, False), (None, False)])
def test_overdue(due: date | None, overdue: bool) -> None:
    assert is_overdue(due, TODAY) is overdue


def item(entry_id: str, status: Status = Status.active, rating: Rating | None = None, escalation: bool = False,
         due: date | None = None) -> AgendaItem:
    return AgendaItem(entry_id, status, rating, escalation, due)


def test_agenda_membership() -> None:
    assert on_agenda(item("a", Status.pending_review), TODAY)
    assert on_agenda(item("b", escalation=True, rating=Rating.green, due=date(2027, 3, 1)), TODAY)
    assert on_agenda(item("c", rating=Rating.red, due=date(2026, 11, 20)), TODAY)  # overdue
    assert not on_agenda(item("d", rating=Rating.green, due=date(2027, 2, 1)), TODAY)
    assert not on_agenda(item("e", Status.closed, escalation=True), TODAY)
    assert not on_agenda(item("f", Status.pending_consent), TODAY)  # nothing to review until consent


def test_agenda_order_pending_and_escalations_first_then_red_blue_amber_green_then_due() -> None:
    items = [
        item("green-due", rating=Rating.green, due=date(2026, 11, 24)),
        item("amber", rating=Rating.amber, due=date(2026, 11, 24)),
        item("red-later", rating=Rating.red, due=date(2026, 11, 26)),
        item("red-sooner", rating=Rating.red, due=date(2026, 11, 20)),
        item("blue", rating=Rating.blue, due=date(2026, 11, 21)),
        item("escalated-green", rating=Rating.green, escalation=True, due=date(2027, 1, 1)),
        item("pending", Status.pending_review),
    ]
    assert [i.entry_id for i in agenda_order(items)] == [
        "escalated-green", "pending", "red-sooner", "red-later", "blue", "amber", "green-due",
    ]
