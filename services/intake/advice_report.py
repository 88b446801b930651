"""The advice report: advice requests per week (Monday, London) by school and concern, whether each was answered
within the service level, is late or still waiting, and how many became a referral within 12 weeks through "make
a referral from this" (a referral carrying the request's id, submitted within 84 days of the question) - the
measure of whether advice prevents referrals.

A request with two concerns counts once under each concern; each week also has a totals row (school and concern
"all") counting each request once, so it is not the sum of the week's rows. Small numbers are suppressed as in the
other aggregate reports (services.intake.reports): every count from 1 to threshold - 1, and where a row's
`requests` (answered within the level + answered late + awaiting an answer) is shown with exactly one of those three
suppressed, the smallest other one too. The counting is pure (`advice_rows`); `load` reads the rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from services.common.workdays import WorkingCalendar
from services.intake import advice
from services.intake.advice_tables import AdviceRequest
from services.intake.reports import small, suppression, week_of
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


def disclosed(rows: list[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """The rows with small numbers suppressed (None, the row saying "suppressed": true)."""
    cells = {(i, name): row[name] for i, row in enumerate(rows) for name in COUNTS}
    groups = [[(i, name) for name in PARTS] for i in range(len(rows))]
    hidden, withheld = suppression(cells, groups, threshold)
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
