"""Duplicate children, the pure part: pairs in their stored order, which record a merged child lives on,
an identity resolution with people's decisions applied, whether a merge may happen, what two records have in
common in words, the possible-duplicate flags a merge clears and its undo restores, and whether a merge can still
be undone (and why not, in words)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from schemas.labels import day
from services.common.errors import ConflictError
from services.intake.children.identity import Identity, Resolution, date_slip, names_alike

Pair = tuple[uuid.UUID, uuid.UUID]

def pair(a: uuid.UUID, b: uuid.UUID) -> Pair:
    """The pair in its stored order: the smaller id first."""
    return (a, b) if a < b else (b, a)


def survivor_of(child_id: uuid.UUID, merged_into: Mapping[uuid.UUID, uuid.UUID]) -> uuid.UUID:
    """The record a child's referrals now live on (a merge of a merge followed to its end; merges never loop,
    as a child already merged can be neither side of another merge)."""
    while child_id in merged_into:
        child_id = merged_into[child_id]
    return child_id


def settle(resolution: Resolution, merged_into: Mapping[uuid.UUID, uuid.UUID], distinct: set[Pair]) -> Resolution:
    """An identity resolution with people's decisions applied: a merged child is its survivor; a near
    match is named once, by its survivor, never the child itself nor one a person called different."""
    raw = resolution.child_id
    child_id = survivor_of(raw, merged_into) if raw is not None else None
    near: list[uuid.UUID] = []
    for flagged in resolution.possible_duplicates:
        other = survivor_of(flagged, merged_into)
        decided = child_id is not None and raw is not None and (
            pair(child_id, other) in distinct or pair(raw, flagged) in distinct)
        if other != child_id and other not in near and not decided:
            near.append(other)
    return replace(resolution, child_id=child_id, possible_duplicates=tuple(near))


def check_merge(survivor_id: uuid.UUID, merged_id: uuid.UUID, merged: Iterable[uuid.UUID]) -> None:
    if survivor_id == merged_id:
        raise ConflictError("A child record cannot be merged with itself")
    if {survivor_id, merged_id} & set(merged):
        raise ConflictError("One of these child records was already merged into another")


def matched_words(a: Identity, b: Identity) -> list[str]:
    """What the two records have in common, in words (never the values themselves)."""
    words: list[str] = []
    if (a.given, a.family) == (b.given, b.family):
        words.append("the same name")
    elif names_alike(a.given, b.given) and names_alike(a.family, b.family):
        words.append("a similar name")
    elif a.family == b.family:
        words.append("the same family name")
    if a.born == b.born:
        words.append("the same date of birth")
    elif date_slip(a.born, b.born):
        words.append("a date of birth with the day and month swapped or one digit different")
    if a.postcode == b.postcode:
        words.append("the same postcode")
    if a.nhs_number and b.nhs_number and a.nhs_number != b.nhs_number:
        words.append("different NHS numbers")
    return words


def restored(before: list[str], cleared: list[str], now: list[str]) -> list[str]:
    """A referral's flags put back as before a merge: those it cleared in their places again, and any
    change since kept (a flag cleared since by another decision stays cleared; one added stays)."""
    return [f for f in before if f in now or f in cleared] + [f for f in now if f not in before]


def without(flags: list[str], drop: set[uuid.UUID], merged_into: Mapping[uuid.UUID, uuid.UUID]) -> list[str]:
    """Possible duplicates minus any that are (or were merged into) one of `drop`."""
    return [f for f in flags if survivor_of(uuid.UUID(f), merged_into) not in drop and uuid.UUID(f) not in drop]


UNDO_REFUSALS = {"undone": "This merge was already undone",
                 "merged_since": "The surviving record was merged into another since: undo that merge first"}


@dataclass(frozen=True)
class UndoState:
    """Whether a merge can still be undone; if not, why (`blocked`, a refusal of UNDO_REFUSALS) in people's words."""

    possible: bool
    blocked: Literal["undone", "merged_since"] | None
    why_not: str | None


def undo_state(*, undone_at: datetime | None, undone_by_name: str | None,
               survivor_merged_into: str | None) -> UndoState:
    """A merge can be undone once, and only while the record it was merged into is not itself merged into another
    (`survivor_merged_into`: that record's child's name; its undo would otherwise split a record that no longer
    stands alone). Referrals made since the merge do not stop it: they stay on the record they were made about."""
    if undone_at is not None:
        who = undone_by_name or "a member of the front-door team"
        return UndoState(False, "undone", f"It was undone on {day(undone_at)} by {who}.")
    if survivor_merged_into is not None:
        return UndoState(False, "merged_since", f"The record it was merged into has since been merged into "
                                                f"{survivor_merged_into}'s record. Undo that later merge first, "
                                                f"then this one.")
    return UndoState(True, None, None)
