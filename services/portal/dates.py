"""GOV.UK date input (day, month and year fields): what a person typed, kept as "year-month-day" with blank parts
left blank so the page can show it again, and the problems of the parts themselves ("must include a month", "Year
must include 4 numbers"), each with the parts to highlight. Whether the date is real, in the past or gives an age in
range is the contract's to say (schemas/referral.py): `wrong_parts` only says which part to highlight when it is not
a real date. Pure."""

from __future__ import annotations

import calendar
from collections.abc import Mapping

PARTS = ("day", "month", "year")


def read(form: Mapping[str, list[str]], prefix: str) -> str:
    """The date as typed in the fields `<prefix>-day`, `-month` and `-year`: "" when all three are blank, else
    "year-month-day" as typed (a part left blank stays blank; a hyphen typed in a part is dropped)."""
    day, month, year = (form.get(f"{prefix}-{part}", [""])[0].strip().replace("-", "") for part in PARTS)
    return f"{year}-{month}-{day}" if day or month or year else ""


def parts(value: object) -> dict[str, str]:
    """{part: as typed} of a stored date ("" for each part of a blank one)."""
    year, month, day = (str(value or "").split("-") + ["", "", ""])[:3] if value else ("", "", "")
    return {"day": day, "month": month, "year": year}


def iso(value: str) -> str:
    """The stored date as the contract reads it (YYYY-MM-DD, the day and month given two digits)."""
    p = parts(value)
    return f"{p['year']}-{p['month'].zfill(2)}-{p['day'].zfill(2)}"


def sent(day: str, month: str, year: str) -> str | None:
    """A date input's parts as an API's date: None when all three are blank; YYYY-MM-DD when they are numbers;
    otherwise as typed ("year-month-day"), so the API names the problem."""
    if not (day or month or year):
        return None
    if day.isdigit() and month.isdigit() and year.isdigit():
        return f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}"
    return f"{year}-{month}-{day}"


def sent_from(form: Mapping[str, str], prefix: str) -> str | None:
    """`sent` of the fields `<prefix>-day`, `-month` and `-year` of a form read as {name: value}."""
    day, month, year = (form.get(f"{prefix}-{part}", "") for part in PARTS)
    return sent(day, month, year)


def _listed(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def part_problem(value: str) -> tuple[str, dict[str, str], tuple[str, ...]] | None:
    """A problem of the parts of a date (not of the date itself): (the catalogue's error type, its context, the parts
    to highlight), or None when every part is there and is a number with a 4-digit year (or no part is there)."""
    p = parts(value)
    if not value:
        return None
    blank = [part for part in PARTS if not p[part]]
    if blank:
        return "date_parts_missing", {"parts": "a " + _listed(blank)}, tuple(blank)
    not_numbers = tuple(part for part in PARTS if not (p[part].isascii() and p[part].isdigit()))
    if not_numbers:
        return "date_parsing", {}, not_numbers
    if len(p["year"]) != 4:
        return "date_year_digits", {}, ("year",)
    return None


def wrong_parts(value: str) -> tuple[str, ...]:
    """The parts to highlight when the contract says the date is not a real one: the month when there is no such
    month, else the day when that month has no such day, else the whole date."""
    p = parts(value)
    try:
        year, month, day = int(p["year"]), int(p["month"]), int(p["day"])
    except ValueError:
        return PARTS
    if not 1 <= month <= 12:
        return ("month",)
    if not 1 <= year <= 9999 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return ("day",) if 1 <= year <= 9999 else PARTS
    return PARTS
