"""The advice report's counting (pure), checked against a hand-worked data set: ten requests over two weeks, two
schools and no school, several concerns, answered on time, late or not at all, some followed by a referral within
12 weeks and some after. The expected table is written out by hand below, not computed. Then the suppression of
small numbers, by hand too."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from services.common.workdays import WorkingCalendar
from services.intake.advice_report import AdviceRow, advice_rows, disclosed

CALENDAR = WorkingCalendar()
SEA, EAST = "Seaview Primary", "Eastwood Academy"
DAY = timedelta(days=1)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)  # March 2026 is GMT: UTC is London time


def row(asked: datetime, school: str | None, concerns: tuple[str, ...], due: int, answered: datetime | None,
        *referrals: datetime) -> AdviceRow:
    return AdviceRow(asked_at=asked, school=school, concerns=concerns, answer_due=date(2026, 3, due),
                     answered_at=answered, referrals_at=referrals)


REQUESTS = [
    # week of Monday 2 March
    row(at(2), SEA, ("speech_sounds",), 9, at(5), at(20)),  # 1 on time; referral 18 days later
    row(at(3), SEA, ("speech_sounds", "anxiety"), 10, at(11)),  # 2 late (due 10th, answered 11th)
    row(at(4), SEA, ("anxiety",), 11, None),  # 3 awaiting
    row(at(5), EAST, ("speech_sounds",), 12, at(12, 23, 30), at(5) + 100 * DAY),  # 4 on time (11:30pm on the
    #   due day); its referral 100 days later: not within 12 weeks
    row(at(6), EAST, ("bullying",), 13, at(16), at(6) + 84 * DAY),  # 5 late; referral exactly 84 days later: counts
    row(at(8, 23, 30), EAST, ("bullying", "anxiety"), 13, None),  # 6 Sunday night: still the week of 2 March
    # week of Monday 9 March
    row(at(9), SEA, ("speech_sounds",), 16, at(10), at(30)),  # 7 on time; referral within 12 weeks
    row(at(10), None, ("housing",), 17, at(17, 9)),  # 8 on time (on the due day); no education setting
    row(at(11), SEA, ("speech_sounds",), 18, None, at(12)),  # 9 awaiting, yet a referral was made from it
    row(at(12), EAST, ("anxiety",), 19, at(20), at(12) + 90 * DAY, at(22)),  # 10 late; one referral within 12 weeks
]

COLUMNS = ("week_starting", "school", "concern", "requests", "answered_within_level", "answered_late",
           "awaiting_answer", "became_referral_within_12_weeks")
EXPECTED = [  # by hand, from the list above
    ("2026-03-02", "all", "all", 6, 2, 2, 2, 2),  # on time 1, 4; late 2, 5; awaiting 3, 6; referrals 1, 5
    ("2026-03-02", EAST, "anxiety", 1, 0, 0, 1, 0),  # 6
    ("2026-03-02", EAST, "bullying", 2, 0, 1, 1, 1),  # 5, 6
    ("2026-03-02", EAST, "speech_sounds", 1, 1, 0, 0, 0),  # 4
    ("2026-03-02", SEA, "anxiety", 2, 0, 1, 1, 0),  # 2, 3
    ("2026-03-02", SEA, "speech_sounds", 2, 1, 1, 0, 1),  # 1, 2
    ("2026-03-09", "all", "all", 4, 2, 1, 1, 3),  # on time 7, 8; late 10; awaiting 9; referrals 7, 9, 10
    ("2026-03-09", "(no education setting)", "housing", 1, 1, 0, 0, 0),  # 8
    ("2026-03-09", EAST, "anxiety", 1, 0, 1, 0, 1),  # 10
    ("2026-03-09", SEA, "speech_sounds", 2, 1, 0, 1, 2),  # 7, 9
]


def table(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [tuple(r[c] for c in COLUMNS) for r in rows]


def test_the_report_counts_the_hand_worked_data_set() -> None:
    assert table(advice_rows(REQUESTS, CALENDAR)) == EXPECTED


def test_with_a_threshold_of_one_nothing_is_suppressed() -> None:
    rows = disclosed(advice_rows(REQUESTS, CALENDAR), 1)
    assert table(rows) == EXPECTED and not any(r["suppressed"] for r in rows)


def test_small_numbers_are_suppressed_as_in_the_other_reports() -> None:
    week_two = [r for r in REQUESTS if r.asked_at >= at(9)]
    rows = disclosed(advice_rows(week_two, CALENDAR), 2)  # every 1 is suppressed; 0 is shown
    assert [(*t, r["suppressed"]) for t, r in zip(table(rows), rows, strict=True)] == [
        ("2026-03-09", "all", "all", 4, 2, None, None, 3, True),
        ("2026-03-09", "(no education setting)", "housing", None, None, 0, 0, 0, True),
        ("2026-03-09", EAST, "anxiety", None, 0, None, 0, None, True),
        ("2026-03-09", SEA, "speech_sounds", 2, None, 0, None, 2, True),
    ]


def test_one_small_part_of_a_shown_total_hides_the_smallest_other_part_too() -> None:
    # 7 requests: 5 on time, 2 late, none waiting. With the threshold at 3 the late 2 is suppressed; the 5 must go
    # too, or 7 - 5 - 0 would give the 2 back.
    requests = [row(at(2), SEA, ("voice",), 9, at(5)) for _ in range(5)] + [
        row(at(3), SEA, ("voice",), 10, at(11)) for _ in range(2)]
    rows = disclosed(advice_rows(requests, CALENDAR), 3)
    assert table(rows) == [("2026-03-02", "all", "all", 7, None, None, 0, 0),
                           ("2026-03-02", SEA, "voice", 7, None, None, 0, 0)]
