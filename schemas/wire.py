"""The shapes every event field takes on the wire, as strict as their JSON Schema says: UUIDs written
8-4-4-4-12, times as RFC 3339 within years 1-9999 in UTC and London time, text with no white space at
either end, rule ids and pathways as the ruleset writes them (README, "Contracts")."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    StringConstraints,
    WithJsonSchema,
)

from schemas.names import Trimmed
from schemas.referral import london_day
from schemas.scalars import not_a_number

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID = re.compile(UUID_PATTERN)


def _hyphenated(value: Any) -> Any:
    """uuid.UUID() also reads braces, a urn: prefix or 32 bare digits: the contract says 8-4-4-4-12."""
    if isinstance(value, str):
        if not _UUID.fullmatch(value):
            raise ValueError("must be a UUID written 8-4-4-4-12 with hyphens")
        return UUID(value)
    return value


# RFC 3339 (what JSON Schema's date-time means), as a pattern too, since many validators treat `format` as a note:
# pydantic alone also reads "1700000000", "2020-01-01T00:00Z" or a space for the T. Years 0001-9999, days as long as
# their month (29 February in any year: which years are leap years is left to the date itself), no leap second.
_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              r"|02-(?:0[1-9]|1[0-9]|2[0-9]))")
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
_OFFSET = r"(?:[Zz]|[+\-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
RFC3339_PATTERN = f"^{_YEAR}-{_MONTH_DAY}[Tt]{_TIME}{_OFFSET}$"
_RFC3339 = re.compile(RFC3339_PATTERN)


def _rfc3339(value: Any) -> Any:
    """The time an RFC 3339 string means (read here: after a before-validator pydantic's strict mode takes no str).
    Never a number or a boolean (lax mode would read one as a Unix time)."""
    if not isinstance(not_a_number(value, "datetime", "datetime"), str):
        return value
    if not _RFC3339.fullmatch(value):
        raise ValueError("must be a date and time with its offset, like 2026-03-04T09:30:00Z (RFC 3339)")
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise ValueError("must be a date that exists (day value is outside expected range)") from None


def _in_calendar(moment: datetime) -> datetime:
    """A time every consumer can convert: ValueError for one UTC or London time cannot show (year 1 or 9999)."""
    try:
        moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("must be a time between the years 1 and 9999 in UTC") from None
    london_day(moment)
    return moment


Uuid = Annotated[UUID, BeforeValidator(_hyphenated),
                 WithJsonSchema({"type": "string", "format": "uuid", "pattern": UUID_PATTERN})]
Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_calendar),
                    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339_PATTERN})]
Text = Annotated[str, Trimmed]  # with a StringConstraints of lengths where there are any
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.\-]{0,79}$")]
Pathway = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
