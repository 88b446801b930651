"""Register rules at their edges: the birthdays where a task starts or stops, the last day of the agenda's
horizon, the wording of each task, entries without a review date. Found by `make mutate`."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.workdays import WorkingCalendar
from services.dsr.rules import AgendaItem, Rating, Status, TaskSpec, agenda_order, on_agenda, tasks_for_rating

TODAY = date(2026, 11, 23)  # a Monday
IN_FIVE_WORKING_DAYS = date(2026, 11, 30)


def born_years_ago(years: int, *, days_later: int = 0) -> date:
    """Born `years` ago today (the birthday is today), or `days_later` days after that (not yet that old)."""
    return date(TODAY.year - years, TODAY.month, TODAY.day + days_later)


@pytest.mark.parametrize(
    ("rating", "born", "tasks"),
    [
        (Rating.red, born_years_ago(25), [  # 25 today: still within the keyworker service's 0-25
            TaskSpec("cetr_required", "A C(E)TR must take place", IN_FIVE_WORKING_DAYS),
            TaskSpec("keyworker_referral", "Refer to the keyworker service", IN_FIVE_WORKING_DAYS),
        ]),
        (Rating.red, born_years_ago(26), [  # 26 today: too old for a keyworker
            TaskSpec("cetr_required", "A C(E)TR must take place", IN_FIVE_WORKING_DAYS),
        ]),
        (Rating.amber, born_years_ago(26, days_later=1), [  # 26 tomorrow: still 25
            TaskSpec("mdt_or_cetr", "Hold a multi-agency meeting or a C(E)TR", IN_FIVE_WORKING_DAYS),
            TaskSpec("keyworker_referral", "Refer to the keyworker service", IN_FIVE_WORKING_DAYS),
        ]),
        (Rating.blue, born_years_ago(18, days_later=1), [  # 18 tomorrow: an inpatient child
            TaskSpec("inpatient_cetr", "Inpatient C(E)TR", date(2027, 2, 21)),
        ]),
        (Rating.blue, born_years_ago(18), []),  # 18 today: an adult's reviews are not the register's to raise
    ],
)
def test_tasks_at_the_age_boundaries(rating: Rating, born: date, tasks: list[TaskSpec]) -> None:
    raised = tasks_for_rating(rating, born=born, has_keyworker=False, today=TODAY, calendar=WorkingCalendar())
    assert raised == tasks


def item(entry_id: str, due: date | None, rating: Rating | None = Rating.green) -> AgendaItem:
    return AgendaItem(entry_id, Status.active, rating, False, due)


@pytest.mark.parametrize(
    ("due", "horizon", "listed"),
    [
        (date(2026, 11, 30), None, True),  # the 7th day ahead is within the default horizon
        (date(2026, 12, 1), None, False),
        (date(2026, 11, 26), 3, True),
        (date(2026, 11, 27), 3, False),
        (None, None, False),
    ],
)
def test_the_agenda_horizon_includes_its_last_day(due: date | None, horizon: int | None, listed: bool) -> None:
    args = {} if horizon is None else {"horizon_days": horizon}
    assert on_agenda(item("a", due), TODAY, **args) is listed


def test_entries_without_a_review_date_come_last_within_their_rating() -> None:
    items = [item("undated", None), item("dated", date(2026, 11, 25)), item("unrated", None, rating=None)]
    assert [i.entry_id for i in agenda_order(items)] == ["dated", "undated", "unrated"]
