"""Child identity resolution: which known child a referral is about (pure; no I/O).

NHS number first; otherwise normalised given name + family name + date of birth + postcode.
Near matches are reported as possible duplicates for a person to review, never merged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from schemas.names import name_key


@dataclass(frozen=True)
class Identity:
    given: str  # normalised keys, see name_key()/postcode_key()
    family: str
    born: date
    postcode: str
    nhs_number: str | None = None


@dataclass(frozen=True)
class KnownChild:
    child_id: uuid.UUID
    identity: Identity


@dataclass(frozen=True)
class Resolution:
    child_id: uuid.UUID | None  # None: a new child
    matched_on: str  # "nhs_number", "demographics" or "new"
    possible_duplicates: tuple[uuid.UUID, ...] = ()


def postcode_key(postcode: str) -> str:
    return "".join(postcode.split()).upper()


def identity_of(*, given_name: str, family_name: str, born: date, postcode: str, nhs_number: str | None) -> Identity:
    return Identity(name_key(given_name), name_key(family_name), born, postcode_key(postcode), nhs_number)


def resolve(new: Identity, known: list[KnownChild]) -> Resolution:
    """Decide whether `new` is one of `known` (children sharing its NHS number, birth date or names)."""
    if new.nhs_number:
        for child in known:
            if child.identity.nhs_number == new.nhs_number:
                return Resolution(child.child_id, "nhs_number", _near(new, known, exclude=child.child_id))
    for child in known:
        other = child.identity
        conflicting_nhs = bool(new.nhs_number and other.nhs_number and new.nhs_number != other.nhs_number)
        if not conflicting_nhs and (other.given, other.family, other.born, other.postcode) == (
            new.given, new.family, new.born, new.postcode,
        ):
            return Resolution(child.child_id, "demographics", _near(new, known, exclude=child.child_id))
    return Resolution(None, "new", _near(new, known, exclude=None))


def _near(new: Identity, known: list[KnownChild], exclude: uuid.UUID | None) -> tuple[uuid.UUID, ...]:
    return tuple(c.child_id for c in known if c.child_id != exclude and is_near_match(new, c.identity))


def is_near_match(a: Identity, b: Identity) -> bool:
    """Likely the same child recorded differently: a typo in a name, a move, a day/month swap, or the
    same demographics under two different NHS numbers (one of which is probably wrong)."""
    same_names = a.given == b.given and a.family == b.family
    similar_names = names_alike(a.given, b.given) and names_alike(a.family, b.family)
    if a.born == b.born and (similar_names or (a.family == b.family and a.postcode == b.postcode and _initial(a, b))):
        return True
    return same_names and date_slip(a.born, b.born) and (a.postcode == b.postcode)


def _initial(a: Identity, b: Identity) -> bool:
    return a.given[:1] == b.given[:1]


def names_alike(x: str, y: str) -> bool:
    """Two name keys a person would take for the same name: equal, one the start of the other, or one slip apart."""
    if x == y:
        return True
    if min(len(x), len(y)) >= 3 and (x.startswith(y) or y.startswith(x)):
        return True  # "sam" / "samuel"
    return _edit_distance_at_most_one(x, y) or _one_transposition(x, y)


def _edit_distance_at_most_one(x: str, y: str) -> bool:
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) > len(y):
        x, y = y, x
    i = j = edits = 0
    while i < len(x) and j < len(y):
        if x[i] != y[j]:
            edits += 1
            if edits > 1:
                return False
            if len(x) == len(y):
                i += 1
        else:
            i += 1
        j += 1
    return edits + (len(y) - j) <= 1


def _one_transposition(x: str, y: str) -> bool:
    if len(x) != len(y):
        return False
    diffs = [i for i in range(len(x)) if x[i] != y[i]]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and x[diffs[0]] == y[diffs[1]] and x[diffs[1]] == y[diffs[0]]


def date_slip(a: date, b: date) -> bool:
    """Day and month swapped, or one part off by a typing slip in a single digit."""
    if a == b:
        return False
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return True
    differing = sum(x != y for x, y in zip(a.isoformat(), b.isoformat(), strict=True))
    return differing == 1
