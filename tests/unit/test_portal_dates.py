"""services/portal/dates.py: a GOV.UK date input's parts as an API's date (the register's add and review forms)."""

from __future__ import annotations

import pytest

from services.portal import dates


@pytest.mark.parametrize(("day", "month", "year", "sent"), [
    ("", "", "", None),  # nothing typed: no date
    ("3", "7", "2026", "2026-07-03"),
    ("31", "12", "985", "0985-12-31"),
    ("31", "2", "2017", "2017-02-31"),  # not a real date: the API says so
    ("3", "", "2026", "2026--3"),  # a part missing: as typed, for the API to name
    ("3rd", "July", "2026", "2026-July-3rd"),
])
def test_a_date_input_is_sent_as_the_api_reads_it(day: str, month: str, year: str, sent: str | None) -> None:
    assert dates.sent(day, month, year) == sent
    assert dates.sent_from({"due-day": day, "due-month": month, "due-year": year}, "due") == sent
