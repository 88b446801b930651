"""Who is already on the register (pure; no I/O): the register's one-open-entry-per-person rule needs to know
whether an addition (made directly, or a children's referral under another child record) is about a person
with an open entry.

NHS numbers decide when both sides have one: equal, the same person; different, not. Otherwise the normalised
name (intake's key: case, accents, spaces, hyphens and apostrophes ignored) and the date of birth must be equal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from schemas.names import name_key


@dataclass(frozen=True)
class Person:
    nhs_number: str | None
    given: str  # normalised keys (name_key)
    family: str
    born: date | None


def person(*, nhs_number: str | None, given_name: str | None, family_name: str | None, born: date | None) -> Person:
    return Person(nhs_number or None, name_key(given_name or ""), name_key(family_name or ""), born)


def same_person(a: Person, b: Person) -> bool:
    """NHS number first; otherwise name and date of birth (never a match on an empty name or no birth date)."""
    if a.nhs_number and b.nhs_number:
        return a.nhs_number == b.nhs_number
    if a.born is None or b.born is None or not (a.given and a.family):
        return False
    return (a.given, a.family, a.born) == (b.given, b.family, b.born)


def first_match(new: Person, known: list[tuple[uuid.UUID, Person]]) -> uuid.UUID | None:
    """The known entry `new` is about: an NHS number match before a name and birth-date one, then in the order
    given (the oldest entry first). None: nobody on the register."""
    by_number = [entry_id for entry_id, p in known if new.nhs_number and p.nhs_number == new.nhs_number]
    by_name = [entry_id for entry_id, p in known if same_person(new, p)]
    return next(iter(by_number + by_name), None)
