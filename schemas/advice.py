"""Advice without a formal referral (issue 14): the form a referrer fills in to ask the front door a question
about a situation, and the pure check that warns when the question seems to identify a child.

Advice is about a situation, not a named child, so the form has no name, date of birth or NHS number, and
unknown fields are refused. A question that seems to hold identifying details is still accepted: the asker is
warned (`identifying_details`) and decides. What the check looks for:

- an NHS number: ten digits, alone or grouped 3-3-4 by spaces, hyphens, dots or slashes ("943 476 5919",
  "943-476-5919", "943.476.5919"), flagged even with a wrong check digit (a mistyped number still points at a
  child);
- a full date (day, month and year), which could be a date of birth: "03/03/2015", "3.3.15", "2015-03-03",
  "03 03 2015" (spaces only with a four-digit year), "03032015", "3 March 2015", "3rd of March 2015",
  "March 3 2015", "3 Mar 2015", "03-Mar-2015". A day and month without a year ("by 3 March") or a year alone
  ("Year 3", "since 2015") is not flagged;
- a UK postcode ("SS7 3QZ"), which with an age can point at one child.

The text is normalised before matching (`normalised`), so the same details typed another way are found too:
NFKC (full-width "９４３４７６５９１９", "／"), any script's digits, every dash a hyphen, every space a space,
and invisible format characters (zero-width spaces, soft hyphens) dropped.

Phone numbers (11 digits, e.g. "01234 567890") are not flagged: they are the school's or the asker's, and
flagging them would teach people to ignore the warning. Counts and durations ("5 working days", "2 weeks",
"Year 3") are not flagged. A finding never holds the text it matched (it is shown, and may be logged as a kind).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from schemas.enums import Concern
from schemas.names import Trimmed
from schemas.referral import EducationSetting, TolerantInput, Unique, no_duplicates
from schemas.scalars import WHOLE

FindingKind = Literal["nhs_number", "date_of_birth", "postcode"]
WHY = "Remove it before sending: advice is about a situation, not a named child."
MESSAGES: dict[FindingKind, str] = {
    "nhs_number": f"Your question seems to contain an NHS number. {WHY}",
    "date_of_birth": f"Your question seems to contain a date, which could be a date of birth. {WHY}",
    "postcode": f"Your question seems to contain a postcode. {WHY}",
}

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december"
           "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec")
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_ORDINAL = r"(?:st|nd|rd|th)?"
_NHS_SEP = r"(?: *[/.\-] *| +)?"  # between an NHS number's groups: nothing, spaces, or one of / . - (spaced or not)
_SEP = r" *([/.\-]) *"  # between a date's first two parts: one of / . -, spaced or not
_AGAIN = r" *\1 *"  # and between its last two: the same one
_YEAR4 = r"(?:19|20)[0-9]{2}"
PATTERNS: tuple[tuple[FindingKind, re.Pattern[str]], ...] = (
    ("nhs_number", re.compile(rf"(?<![0-9])[0-9]{{3}}{_NHS_SEP}[0-9]{{3}}{_NHS_SEP}[0-9]{{4}}(?![0-9])")),
    ("date_of_birth", re.compile(  # d/m/y, d.m.y, d-m-y, with a two- or four-digit year
        rf"(?<![0-9]){_DAY}{_SEP}{_MONTH}{_AGAIN}(?:[0-9]{{4}}|[0-9]{{2}})(?![0-9])")),
    ("date_of_birth", re.compile(rf"(?<![0-9]){_DAY} +{_MONTH} +[0-9]{{4}}(?![0-9])")),  # 03 03 2015
    ("date_of_birth", re.compile(  # 03032015, 20150303: eight digits only when they are a plausible date
        rf"(?<![0-9])(?:(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2]){_YEAR4}"
        rf"|{_YEAR4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))(?![0-9])")),
    ("date_of_birth", re.compile(rf"(?<![0-9])[0-9]{{4}}{_SEP}{_MONTH}{_AGAIN}{_DAY}(?![0-9])")),  # ISO y-m-d
    ("date_of_birth", re.compile(  # 03-Mar-2015, 3/mar/15
        rf"(?<![0-9]){_DAY}{_SEP}(?:{_MONTHS})\.?{_AGAIN}(?:[0-9]{{4}}|[0-9]{{2}})(?![0-9])", re.IGNORECASE)),
    ("date_of_birth", re.compile(  # 3 March 2015, 3rd of March 2015, 3 Mar, 2015
        rf"\b{_DAY}{_ORDINAL}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+[0-9]{{4}}\b", re.IGNORECASE)),
    ("date_of_birth", re.compile(  # March 3 2015, March 3rd, 2015
        rf"\b(?:{_MONTHS})\.?\s+{_DAY}{_ORDINAL},?\s+[0-9]{{4}}\b", re.IGNORECASE)),
    ("postcode", re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Finding:
    """Something in a question that seems to identify a child: its kind and what to tell the asker (never the
    text it matched)."""

    kind: FindingKind
    message: str


def normalised(text: str) -> str:
    """`text` as the patterns read it: NFKC; every decimal digit (any script) as 0-9; every dash a hyphen; every
    space a plain space; format characters (zero-width spaces and joiners, soft hyphens, marks) dropped."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category == "Nd":
            out.append(str(unicodedata.decimal(char)))
        elif category == "Pd":
            out.append("-")
        elif category == "Zs" or char == "\t":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def identifying_details(text: str) -> list[Finding]:
    """What in `text` seems to identify a child, one finding per kind, in the order NHS number, date, postcode."""
    plain = normalised(text)
    kinds = dict.fromkeys(kind for kind, pattern in PATTERNS if pattern.search(plain))
    return [Finding(kind, MESSAGES[kind]) for kind in kinds]


Question = Annotated[str, Trimmed, StringConstraints(min_length=10, max_length=2000)]
YearGroup = Annotated[int, Field(ge=-2, le=14), WHOLE]  # as the referral's education_setting.year_group
Age = Annotated[int, Field(ge=0, le=25)]


class AdviceInput(TolerantInput):
    """A request for advice, as a referrer types it (trimmed, lax: "5" for year 5). No name, date of birth or
    NHS number: unknown fields are refused. `question` is free text: never logged."""

    question: Question
    concerns: Annotated[list[Concern], Field(min_length=1), AfterValidator(no_duplicates), Unique]
    year_group: YearGroup | None = None
    age: Age
    education_setting: EducationSetting | None = None
