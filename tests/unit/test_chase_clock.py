"""The chase clock (issue 23, item 5), a table test of the pure rule: a referral waiting for missing information
comes to the front door's queue CHASE_AFTER_WORKING_DAYS working days after information was asked for; a chase
moves its next action to the end (17:00) of the CHASE_AGAIN_WORKING_DAYS-th working day after it, so it is not
overdue the minute after someone rang; once that date passes it is overdue again, counted from that date."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.intake.front_door.domain import ChaseClock, chase_clock


def utc(day: int, hour: int = 10, minute: int = 30, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


ASKED = utc(4)  # Wednesday 4 March 2026, 10:30 (London is on GMT)

CASES = [
    # (why, last chase, now, next action, listed, overdue)
    ("not chased, before its first clock: not on the queue", None, utc(11, 10, 29), utc(11), False, False),
    ("not chased, at its first clock (5 working days)", None, utc(11), utc(11), True, True),
    ("not chased, a week past it: overdue, counted from its first clock", None, utc(18), utc(11), True, True),
    ("chased a week late: the next action is 3 working days after the chase, at 17:00", utc(18, 11),
     utc(18, 11, 1), utc(23, 17, 0), True, False),
    ("chased on a Friday: the weekend does not count", utc(20, 9), utc(20, 9, 5), utc(25, 17, 0), True, False),
    ("chased, and its next action has passed: overdue again", utc(18, 11), utc(23, 17, 0), utc(23, 17, 0), True, True),
    ("chased before its first clock: still listed, with the chase's clock", utc(5, 9), utc(5, 9, 1), utc(10, 17, 0),
     True, False),
    ("a bank holiday is not a working day (Good Friday, Easter Monday 2026)", utc(2, 9, month=4), utc(2, 10, month=4),
     datetime(2026, 4, 9, 16, 0, tzinfo=timezone.utc), True, False),  # 17:00 London in summer time
]


@pytest.mark.parametrize(("why", "chased", "now", "due", "listed", "overdue"), CASES, ids=[c[0] for c in CASES])
def test_the_next_action_date(why: str, chased: datetime | None, now: datetime, due: datetime, listed: bool,
                              overdue: bool) -> None:
    clock = chase_clock(ASKED, chased, now, first_after=5, again_after=3)
    assert clock == ChaseClock(due=due, listed=listed, overdue=overdue), why


def test_the_setting_is_the_number_of_working_days() -> None:
    assert chase_clock(ASKED, utc(18, 11), utc(18, 12), first_after=5, again_after=1).due == utc(19, 17, 0)
    assert chase_clock(ASKED, utc(18, 11), utc(18, 12), first_after=5, again_after=5).due == utc(25, 17, 0)
