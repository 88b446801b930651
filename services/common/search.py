"""Finding a child, the pure part every searching service shares (intake, the worklists, the register): what a
typed query can be, how well one record answers it, and the ranking of every record found. No I/O.

A query is read as everything it can be: an NHS number (spaces allowed), a UPN, a date of birth in the forms people
type ("3/7/2015", "03-07-2015", "2015-07-03", "3 July 2015"; with day and month swapped too when both could be
either), a postcode (a full one stands for its district) or a postcode district ("TS1"), a reference (the 8
characters a page shows, or a whole id), else a name. Names are compared on the identity matcher's keys
(`schemas.names.name_key`: case, accents, spaces and punctuation ignored), fuzzily, by trigram similarity computed
exactly as PostgreSQL's pg_trgm computes it, so the database can pre-select with its trigram index what this
module then decides (`names_text`, `name_similarity`, `NAME_THRESHOLD`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from schemas.identifiers import normalise_nhs_number, normalise_postcode, normalise_upn
from schemas.names import TypedText, name_key

QUERY_MAX_LENGTH = 200
QueryText = Annotated[str, TypedText(1, QUERY_MAX_LENGTH)]
"""A query as the APIs take it: at most 200 characters as sent, at least 1 once trimmed."""
NAME_THRESHOLD = 0.3  # pg_trgm's own default: a name at least this similar to the query is found
LIMIT = 50  # results shown; more than that: the person is asked to say more

NHS_NUMBER, UPN, DATE_OF_BIRTH, POSTCODE, REFERENCE, NAME = (
    "nhs_number", "upn", "date_of_birth", "postcode", "reference", "name")
KINDS = (NHS_NUMBER, UPN, DATE_OF_BIRTH, POSTCODE, REFERENCE, NAME)

# A match's kind and how good it is. Exact identifiers first; a date or district is shared by many children.
EXACT, SWAPPED, DISTRICT_ONLY = 1.0, 0.9, 0.8

MONTHS = {m: n for n, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+),? (\d{4})$")
_COMPACT_DATE = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_SHORT_REFERENCE = re.compile(r"^[0-9A-F]{8}$")


@dataclass(frozen=True)
class Query:
    """What a typed query can be. `dates`: as typed first, then day and month swapped (when that is a date too)."""

    nhs_number: str | None = None
    upn: str | None = None
    dates: tuple[date, ...] = ()
    postcode: str | None = None  # a full postcode, canonical
    district: str | None = None  # its district, or the district typed
    reference: str | None = None  # upper-case hex: 8 characters, or a whole id without its dashes
    name_words: tuple[str, ...] = ()  # the name's words as matching keys

    @property
    def kinds(self) -> tuple[str, ...]:
        """What the query was read as (for the audit: the kind of query, never the query)."""
        found = {NHS_NUMBER: self.nhs_number, UPN: self.upn, DATE_OF_BIRTH: self.dates,
                 POSTCODE: self.district, REFERENCE: self.reference, NAME: self.name_words}
        return tuple(kind for kind in KINDS if found[kind])

    @property
    def name_variants(self) -> tuple[str, ...]:
        """The name as trigram texts: its words apart, and run together ("smith jones", "smithjones")."""
        if not self.name_words:
            return ()
        apart, together = " ".join(self.name_words), "".join(self.name_words)
        return (apart,) if apart == together else (apart, together)


def parse(text: str) -> Query:
    """Everything `text` can be (an empty Query: nothing to look for)."""
    typed = " ".join(text.split())
    if not typed:
        return Query()
    nhs_number, upn = _nhs_number(typed), _upn(typed)
    postcode, district = _postcode(typed)
    reference = _reference(typed)
    dates = _dates(typed)
    words: tuple[str, ...] = ()
    if not any(ch.isdigit() for ch in typed):  # a name has no digits; anything else with letters may be one
        words = tuple(w for w in (ascii_key(word) for word in re.split(r"[\s,]+", typed)) if w)
        if len("".join(words)) < 2:
            words = ()
    return Query(nhs_number=nhs_number, upn=upn, dates=dates, postcode=postcode, district=district,
                 reference=reference, name_words=words)


def _nhs_number(typed: str) -> str | None:
    try:
        return normalise_nhs_number(typed)
    except ValueError:
        return None


def _upn(typed: str) -> str | None:
    try:
        return normalise_upn(typed)
    except ValueError:
        return None


def _postcode(typed: str) -> tuple[str | None, str | None]:
    try:
        full = normalise_postcode(typed)
    except ValueError:
        upper = typed.upper().replace(" ", "")
        return (None, upper) if typed.isascii() and _DISTRICT.match(upper) else (None, None)
    return full, district_of(full)


def district_of(postcode: str | None) -> str | None:
    """A postcode's district (its outward code: "TS1 3BA" -> "TS1"); None for none or one that is not a postcode."""
    if not postcode:
        return None
    try:
        return normalise_postcode(postcode).split(" ")[0]
    except ValueError:
        return None


def _reference(typed: str) -> str | None:
    compact = typed.upper().replace(" ", "")
    if _SHORT_REFERENCE.match(compact):
        return compact
    try:
        return uuid.UUID(typed).hex.upper()
    except ValueError:
        return None


def reference_of(record_id: uuid.UUID | str) -> str:
    """The reference people read for a record (its id's first 8 characters, upper case, as the pages show it)."""
    return uuid.UUID(str(record_id)).hex[:8].upper()


def _dates(typed: str) -> tuple[date, ...]:
    lower = typed.lower()
    parts: tuple[int, int, int] | None = None
    if m := _NUMERIC_DATE.match(lower):
        parts = (int(m[3]), int(m[2]), int(m[1]))
    elif m := _ISO_DATE.match(lower):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif (m := _WORDS_DATE.match(lower)) and m[2] in MONTHS:
        parts = (int(m[3]), MONTHS[m[2]], int(m[1]))
    elif m := _COMPACT_DATE.match(lower):
        parts = (int(m[3]), int(m[2]), int(m[1]))
    if parts is None:
        return ()
    year, month, day = parts
    found = [d for d in (_date(year, month, day), _date(year, day, month)) if d is not None]
    return tuple(dict.fromkeys(found))  # as typed first; the swap only when it is another date


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- names, as pg_trgm compares them ------------------------------------------------------------------

def ascii_key(name: str) -> str:
    """A name's matching key (`name_key`) with any letter outside ASCII written as its code point in hex, so that
    pg_trgm, whatever the database's locale, splits and compares it exactly as `trigrams` does."""
    return "".join(ch if ch.isascii() else f"{ord(ch):x}" for ch in name_key(name))


def names_text(given_name: str | None, family_name: str | None) -> str:
    """The text a record's name is found by: its two keys as two words ("zoe smithjones")."""
    return " ".join(k for k in (ascii_key(given_name or ""), ascii_key(family_name or "")) if k)


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams of `text`: each word (a run of letters and digits) lower-cased, with two spaces before it
    and one after, cut into every three characters."""
    found: set[str] = set()
    for word in re.findall(r"[0-9a-z]+", text.lower()):
        padded = f"  {word} "
        found.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


def similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity(a, b)`: shared trigrams over all trigrams of the two."""
    ta, tb = trigrams(a), trigrams(b)
    shared = len(ta & tb)
    together = len(ta) + len(tb) - shared
    return shared / together if together else 0.0


def name_similarity(query: Query, given_key: str, family_key: str) -> float:
    """How alike the query's name is to a record's (0 to 1): the best of the name's variants against the whole
    name, the given name and the family name (each of those three a trigram index on PostgreSQL)."""
    whole = " ".join(k for k in (given_key, family_key) if k)
    return max((similarity(v, text) for v in query.name_variants for text in (whole, given_key, family_key) if text),
               default=0.0)


# --- one record, and the ranking ----------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """One searchable record about a child (a referral, a service request, a register entry), as stored: the
    child it is about (after merges), what people read of it, and what it may be found by."""

    child_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    at: datetime  # when it was made: the child is shown as its latest record shows it
    nhs_number: str | None = None
    upn: str | None = None
    postcode: str | None = None  # canonical
    school: str | None = None
    references: tuple[str, ...] = ()  # upper-case hex of every id a reference may name
    link: str | None = None  # a record-specific id the page links to (a register entry), else the child's


@dataclass(frozen=True)
class Hit:
    child_id: str
    score: float
    matched: str  # the kind of match: a KINDS value, or "date_of_birth_swapped" / "postcode_district"
    record: Record  # the child's latest record: what the result shows
    records: tuple[Record, ...] = field(default=(), repr=False)


def score(query: Query, record: Record) -> tuple[float, str] | None:
    """How well `record` answers `query` and on what (None: it does not)."""
    found: list[tuple[float, str]] = []
    if query.nhs_number and record.nhs_number == query.nhs_number:
        found.append((EXACT, NHS_NUMBER))
    if query.upn and record.upn == query.upn:
        found.append((EXACT, UPN))
    if query.reference and any(r.startswith(query.reference) for r in record.references):
        found.append((EXACT, REFERENCE))
    if record.date_of_birth is not None and record.date_of_birth in query.dates:
        swapped = query.dates.index(record.date_of_birth) > 0
        found.append((SWAPPED, "date_of_birth_swapped") if swapped else (EXACT, DATE_OF_BIRTH))
    if query.district and record.postcode:
        if query.postcode and record.postcode == query.postcode:
            found.append((EXACT, POSTCODE))
        elif district_of(record.postcode) == query.district:
            found.append((EXACT if query.postcode is None else DISTRICT_ONLY, "postcode_district"))
    if query.name_words:
        alike = name_similarity(query, ascii_key(record.given_name or ""), ascii_key(record.family_name or ""))
        if alike >= NAME_THRESHOLD:
            found.append((round(alike, 6), NAME))
    return max(found, key=lambda f: f[0]) if found else None


def rank(query: Query, records: Iterable[Record], *, limit: int = LIMIT) -> list[Hit]:
    """Every child some record of which answers the query, best first (ties: by name, date of birth, id), each
    shown as its latest record (of all those given, matching or not), at most `limit` of them. The one ranking
    every service and database uses: give it every record of each child a pre-selection found."""
    best: dict[str, tuple[float, str]] = {}
    mine: dict[str, list[Record]] = {}
    for record in records:
        mine.setdefault(record.child_id, []).append(record)
        found = score(query, record)
        if found is not None and (record.child_id not in best or found[0] > best[record.child_id][0]):
            best[record.child_id] = found
    hits = []
    for child_id, (value, matched) in best.items():
        own = sorted(mine[child_id], key=lambda r: (r.at, r.references))
        hits.append(Hit(child_id, value, matched, own[-1], tuple(own)))
    hits.sort(key=lambda h: (-h.score, ascii_key(h.record.family_name or ""), ascii_key(h.record.given_name or ""),
                             h.record.date_of_birth or date.min, h.child_id))
    return hits[:limit]


def shown(hit: Hit) -> dict[str, Any]:
    """A result as every search answers it (schemas.views.search.FoundChild): enough to tell children apart (name,
    date of birth, school, postcode district) and what matched; a register entry's id where the record is one."""
    record = hit.record
    return {"child_id": hit.child_id, "given_name": record.given_name, "family_name": record.family_name,
            "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else None,
            "school": record.school, "postcode_district": district_of(record.postcode), "matched": hit.matched,
            **({"entry_id": record.link} if record.link else {})}


def answer(query: Query, records: Iterable[Record], *, limit: int = LIMIT) -> dict[str, Any]:
    """A search's answer (schemas.views.search.Found): the children found, best first, at most `limit`, and
    whether there were more."""
    hits = rank(query, records, limit=limit + 1)
    return {"looked_for": list(query.kinds), "results": [shown(h) for h in hits[:limit]], "more": len(hits) > limit}


def action_of(query: Query, prefix: str = "search") -> str:
    """The audit's action for a search: the kind of query it was ("search.date_of_birth+reference"), never the query
    (the audit has no place for what a person typed, and it is personal data)."""
    return f"{prefix}." + ("+".join(query.kinds) or "nothing")


def born(value: object) -> date | None:
    """A date of birth as a record stores it (a date, or ISO 8601 text); None for none or anything else."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def child_ids(found: dict[str, Any]) -> tuple[uuid.UUID, ...]:
    """Every child an answer shows (for its audit row)."""
    return tuple(uuid.UUID(str(r["child_id"])) for r in found["results"])
