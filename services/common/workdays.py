"""The working-day clock: Monday to Friday less bank holidays, in a local time zone. Pure, cached."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


class WorkingCalendar:
    """Working days for one country/subdivision (England and Wales: country GB, subdivision ENG)."""

    def __init__(self, *, country: str = "GB", subdivision: str | None = "ENG", timezone: str = "Europe/London"):
        self.tz = ZoneInfo(timezone)
        self._holidays = holidays.country_holidays(country, subdiv=subdivision)
        # lru_cache on a bound method would pin the instance; a per-instance cache keeps it collectable.
        self.nth_working_day_after = lru_cache(maxsize=4096)(self._nth_working_day_after)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def _nth_working_day_after(self, day: date, n: int) -> date:
        """The nth working day strictly after `day` (n >= 1)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        current = day
        while n:
            current += timedelta(days=1)
            if self.is_working_day(current):
                n -= 1
        return current

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def due_after_working_days(self, instant: datetime, n: int, at: time) -> datetime:
        """`at` local time on the nth working day after the local day of `instant`."""
        day = self.nth_working_day_after(self.local_day(instant), n)
        return datetime.combine(day, at, tzinfo=self.tz)
