"""The advice report: advice requests per week (Monday, London) by school and concern, whether each was answered
within the service level, is late or still waiting, and how many became a referral within 12 weeks through "make
a referral from this" (a referral carrying the request's id, submitted within 84 days of the question) - the
measure of whether advice prevents referrals.

A request with two concerns counts once under each concern; each week also has a totals row (school and concern
"all") counting each request once, so it is not the sum of the week's rows. The report lists every row of its grid:
each week with a request (its totals row first), then each school in the period by each concern in the period,
zeros included, so that which rows are listed says nothing. Small numbers are suppressed as in the other aggregate
reports (services.intake.reports.domain): every count from 1 to threshold - 1, and where a row's `requests` (answered
within the level + answered late + awaiting an answer) is shown with exactly one of those three suppressed, the
smallest other one too. In the rows by school and concern a zero is suppressed alike (with any suppression on), so
a suppressed row or count may be none at all, never "at least one question from this school about this concern";
a totals row counts every school, and shows its zeros. The counting is pure (`advice_rows`); `load` reads the
rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from services.common.workdays import WorkingCalendar
from services.intake.advice import domain as advice
from services.intake.advice.tables import AdviceRequest
from services.intake.reports.domain import published_grid, small, suppression, week_of
from services.intake.tables import ReferralRecord

BECAME_REFERRAL_WITHIN = timedelta(days=84)  # 12 weeks
NO_SETTING = "(no education setting)"
ALL = "all"
COUNTS = ("requests", "answered_within_level", "answered_late", "awaiting_answer", "became_referral_within_12_weeks")
PARTS = ("answered_within_level", "answered_late", "awaiting_answer")  # add up to `requests`


@dataclass(frozen=True)
class AdviceRow:
    asked_at: datetime
    school: str | None
    concerns: tuple[str, ...]
    answer_due: date
    answered_at: datetime | None
    referrals_at: tuple[datetime, ...] = ()  # when each referral made from it was submitted


def advice_rows(requests: Iterable[AdviceRow], calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """Per week: a totals row, then a row per school and concern (by name), each with the five counts."""
    rows: dict[tuple[date, str, str], dict[str, Any]] = {}
    for r in requests:
        week = week_of(r.asked_at)
        keys = [(week, ALL, ALL)] + [(week, r.school or NO_SETTING, c) for c in dict.fromkeys(r.concerns)]
        column = ("awaiting_answer" if r.answered_at is None else "answered_within_level"
                  if advice.answered_in_time(r.answered_at, r.answer_due, calendar) else "answered_late")
        became = any(timedelta(0) <= at - r.asked_at <= BECAME_REFERRAL_WITHIN for at in r.referrals_at)
        for key in keys:
            row = rows.setdefault(key, {"week_starting": key[0].isoformat(), "school": key[1], "concern": key[2]}
                                  | dict.fromkeys(COUNTS, 0))
            row["requests"] += 1
            row[column] += 1
            row["became_referral_within_12_weeks"] += became
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1] != ALL, k[1], k[2]))]


def grid(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The published grid of `advice_rows`' rows: per week, its totals row, then every school in the period by every
    concern in the period (`reports.published_grid`, in its order), a zero row where nobody asked (issue 20, item 9)."""
    pairs = published_grid([{"school": r["school"], "concern": r["concern"], "count": 0}
                            for r in rows if r["school"] != ALL])
    given = {(r["week_starting"], r["school"], r["concern"]): r for r in rows}
    out = []
    for week in sorted({r["week_starting"] for r in rows}):
        keys = [(week, ALL, ALL)] * ((week, ALL, ALL) in given) + [(week, p["school"], p["concern"]) for p in pairs]
        out += [given.get(key) or {"week_starting": week, "school": key[1], "concern": key[2]}
                | dict.fromkeys(COUNTS, 0) for key in keys]
    return out


def disclosed(rows: list[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """The published grid (`grid`) with small numbers suppressed (None, the row saying "suppressed": true); in the
    rows by school and concern a zero is suppressed alike (`reports.suppression` with `zeros`)."""
    rows = grid(rows)
    hidden: set[tuple[int, str]] = set()
    withheld: dict[int, bool] = {}
    for totals in (True, False):  # the weeks' totals rows, then the grid's rows by school and concern
        indices = [i for i, row in enumerate(rows) if (row["school"] == ALL) == totals]
        cells = {(i, name): rows[i][name] for i in indices for name in COUNTS}
        some, held = suppression(cells, [[(i, name) for name in PARTS] for i in indices], threshold,
                                 zeros=not totals)
        hidden |= some
        withheld |= dict(zip(indices, held, strict=True))
    out = []
    for i, row in enumerate(rows):
        shown = dict(row)
        for name in COUNTS:
            if (i, name) in hidden or small(row[name], threshold):
                shown[name] = None
        if withheld[i]:
            shown["requests"] = None
        out.append(shown | {"suppressed": any(shown[name] is None for name in COUNTS)})
    return out


def load(session: Session, *, since: datetime) -> list[AdviceRow]:
    """Every advice request asked since `since`, with the referrals made from it."""
    requests = session.exec(select(AdviceRequest).where(col(AdviceRequest.asked_at) >= since)).all()
    ids = [r.id for r in requests]
    made: dict[Any, list[datetime]] = {}
    for start in range(0, len(ids), 500):
        for advice_id, at in session.exec(select(ReferralRecord.advice_request_id, ReferralRecord.submitted_at)
                                          .where(col(ReferralRecord.advice_request_id).in_(ids[start:start + 500]))):
            made.setdefault(advice_id, []).append(at)
    return [AdviceRow(asked_at=r.asked_at, school=r.school, concerns=tuple(r.concerns), answer_due=r.answer_due,
                      answered_at=r.answered_at, referrals_at=tuple(made.get(r.id, ()))) for r in requests]
