"""The advice report's counting (pure), checked against a hand-worked data set: ten requests over two weeks, two
schools and no school, several concerns, answered on time, late or not at all, some followed by a referral within
12 weeks and some after. The expected table is written out by hand below, not computed. Then the suppression of
small numbers, by hand too."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from services.common.workdays import WorkingCalendar
from services.intake.advice.report import AdviceRow, advice_rows, disclosed

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
    assert table([r for r in rows if r["requests"]]) == EXPECTED and not any(r["suppressed"] for r in rows)
    # the published grid (issue 20, item 9): per week its totals row and 3 schools x 4 concerns, the rest zeros
    assert len(rows) == 2 * (1 + 3 * 4) and all(r[c] == 0 for r in rows if not r["requests"] for c in COLUMNS[3:])


def test_small_numbers_are_suppressed_as_in_the_other_reports() -> None:
    week_two = [r for r in REQUESTS if r.asked_at >= at(9)]
    # every 1 is suppressed; 0 is shown in the totals row, and suppressed alike in the rows by school and concern
    # (issue 20, item 9: a 0 shown beside a suppressed count, or a row missing, made "suppressed" read "at least 1")
    rows = disclosed(advice_rows(week_two, CALENDAR), 2)
    none = (None,) * 5
    assert [(*t, r["suppressed"]) for t, r in zip(table(rows), rows, strict=True)] == [
        ("2026-03-09", "all", "all", 4, 2, None, None, 3, True),
        ("2026-03-09", "(no education setting)", "anxiety", *none, True),
        ("2026-03-09", "(no education setting)", "housing", *none, True),
        ("2026-03-09", "(no education setting)", "speech_sounds", *none, True),
        ("2026-03-09", EAST, "anxiety", *none, True),
        ("2026-03-09", EAST, "housing", *none, True),
        ("2026-03-09", EAST, "speech_sounds", *none, True),
        ("2026-03-09", SEA, "anxiety", *none, True),
        ("2026-03-09", SEA, "housing", *none, True),
        ("2026-03-09", SEA, "speech_sounds", 2, None, None, None, 2, True),
    ]


def test_one_small_part_of_a_shown_total_hides_the_smallest_other_part_too() -> None:
    # 7 requests: 5 on time, 2 late, none waiting. With the threshold at 3 the late 2 is suppressed; the 5 must go
    # too, or 7 - 5 - 0 would give the 2 back.
    requests = [row(at(2), SEA, ("voice",), 9, at(5)) for _ in range(5)] + [
        row(at(3), SEA, ("voice",), 10, at(11)) for _ in range(2)]
    rows = disclosed(advice_rows(requests, CALENDAR), 3)
    assert table(rows) == [("2026-03-02", "all", "all", 7, None, None, 0, 0),
                           ("2026-03-02", SEA, "voice", 7, None, None, None, None)]  # a school's 0s: suppressed too


def test_a_suppressed_row_does_not_say_at_least_one() -> None:
    """Issue 20, item 9: listing only the rows with a request made "suppressed" mean 1 to 4. Every row of the
    published grid is listed - each week by each school in the period by each concern in it, zeros included - and
    with suppression on a zero is suppressed alike, so a suppressed row may be none at all. Week one: Seaview asked
    6 speech questions and none about anxiety, Eastwood 6 speech and 1 anxiety; week two: Seaview 6 speech only."""
    requests = ([row(at(2), SEA, ("speech_sounds",), 9, at(3)) for _ in range(6)]
                + [row(at(2), EAST, ("speech_sounds",), 9, at(3)) for _ in range(6)]
                + [row(at(3), EAST, ("anxiety",), 10, None)]
                + [row(at(9), SEA, ("speech_sounds",), 16, at(10)) for _ in range(6)])
    rows = disclosed(advice_rows(requests, CALENDAR), 5)
    hidden = dict.fromkeys(COLUMNS[3:], None) | {"suppressed": True}
    by_key = {(r["week_starting"], r["school"], r["concern"]): r for r in rows}
    assert len(by_key) == len(rows) == 2 * (1 + 2 * 2)  # per week: its totals row, 2 schools x 2 concerns, once
    assert by_key[("2026-03-02", SEA, "anxiety")] == {  # none asked: listed, and read as Eastwood's 1 reads
        "week_starting": "2026-03-02", "school": SEA, "concern": "anxiety"} | hidden
    assert by_key[("2026-03-02", EAST, "anxiety")] == by_key[("2026-03-02", SEA, "anxiety")] | {"school": EAST}
    for school, concern in ((EAST, "anxiety"), (EAST, "speech_sounds")):  # Eastwood asked nothing in week two
        assert by_key[("2026-03-09", school, concern)] == {
            "week_starting": "2026-03-09", "school": school, "concern": concern} | hidden
    # beside a shown count, a zero is suppressed too: a 0 shown only where nothing else is hidden would tell
    assert table([by_key[("2026-03-02", SEA, "speech_sounds")]]) == [
        ("2026-03-02", SEA, "speech_sounds", 6, 6, None, None, None)]
    # each week's totals row counts every school: a zero there names none, and is shown as in the other reports
    assert table([by_key[("2026-03-02", "all", "all")]]) == [("2026-03-02", "all", "all", 13, None, 0, None, 0)]
    assert table([r for r in rows if r["week_starting"] == "2026-03-09"]) == [
        ("2026-03-09", "all", "all", 6, 6, 0, 0, 0), ("2026-03-09", EAST, "anxiety", *[None] * 5),
        ("2026-03-09", EAST, "speech_sounds", *[None] * 5), ("2026-03-09", SEA, "anxiety", *[None] * 5),
        ("2026-03-09", SEA, "speech_sounds", 6, 6, None, None, None)]
    off = disclosed(advice_rows(requests, CALENDAR), 1)  # suppression off: the same grid, zeros shown
    assert [(r["week_starting"], r["school"], r["concern"]) for r in off] == list(by_key)
    assert not any(r["suppressed"] for r in off)
    assert by_key[("2026-03-09", SEA, "anxiety")].keys() == off[-2].keys() and off[-2]["requests"] == 0
