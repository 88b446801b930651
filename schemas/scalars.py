"""Dates and whole numbers at the edges (issue 24, items 4 and 7): one type each, for what people send to the APIs
and for what the events carry, so the Python models read them as their JSON Schema says.

- `Day`, a date (`"format": "date"`): an RFC 3339 full-date string `2026-03-04` (or, in our own code, a date).
  Never a number or a boolean: pydantic's lax mode would read `0` or `"0"` as 1 January 1970 (a Unix time), and
  `"2026-03-04T00:00:00"` as a day. Times are `schemas.wire.Instant`, which refuses numbers the same way.
- `Whole`, an integer (`"type": "integer"`): JSON Schema's integer is any number with no fraction, so `5.0` is one.
  The strict wire takes it as 5 (a producer in JavaScript, Java or Python may write 5.0) and still refuses `5.5`,
  `"5"` and `true`."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

NUMBERS = (bool, int, float, Decimal)  # bool is an int in Python: named for the reader
FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # RFC 3339 full-date: what JSON Schema's "date" means


def not_a_number(value: Any, kind: str, what: str) -> Any:
    """`value` unchanged, or pydantic's `<kind>_type` error when it is a number or a boolean (read as a Unix time
    in lax mode otherwise)."""
    if isinstance(value, NUMBERS):
        raise PydanticCustomError(f"{kind}_type", f"Input should be a valid {what}")
    return value


def _a_day(value: Any) -> Any:
    """The day a full-date string means (read here: after a before-validator pydantic's strict mode takes no str);
    a date object as it is; anything else refused."""
    if not isinstance(not_a_number(value, "date", "date"), str):
        return value
    if not FULL_DATE.fullmatch(value):
        raise PydanticCustomError("date_parsing", "Input should be a valid date in the format YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_parsing", "Input should be a valid date that exists") from None


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


Day = Annotated[date, BeforeValidator(_a_day)]
"""A date: `2026-03-04` (or a date object), never a number, a boolean or a date and time."""
WHOLE = BeforeValidator(_whole)
"""An integer field's last metadata, after its limits (`Annotated[int, Field(ge=1), WHOLE]`): behind a validator,
pydantic could no longer write the limits into the JSON Schema as `minimum` and `maximum`."""
Whole = Annotated[int, WHOLE]
"""An integer: 5 or 5.0 (taken as 5), never 5.5; strict mode still refuses "5" and true."""
