"""Case notes (issue 23, item 4): the kit each service that holds notes uses (intake on a front-door referral, the
worklists on a service request, the register on an entry). Who, when, the text: stored in the service's own table
(`NoteRecord`'s columns) and announced by an event through its outbox in the same transaction (ids only: the words
stay here; each service queues its own event, `written`, so the contracts read who sends what off its code).
Idempotent on the form's key, so a double submit adds one note; a note is never changed or taken away (more to say is
a new note), as a case record's entries are.

A note's text is personal data: it goes to no log line, metric or error message (a refusal names the field and
the problem, never the words; the event carries only ids)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field as Column
from sqlmodel import Session, SQLModel, col, select

from schemas.views import shown
from schemas.views.notes import NOTE_MAX_LENGTH, Note
from services.common.auth import Principal
from services.common.errors import ConflictError
from services.common.http import TypedText
from services.common.ids import derived_id
from services.common.tables import UTCDateTime
from services.common.transactions import About, in_transaction


def one_line_break(value: Any) -> Any:
    """A line break as one character, as a person and the page's character count count it (a browser sends a
    textarea's as CR LF)."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


NoteText = Annotated[str, TypedText(1, NOTE_MAX_LENGTH), BeforeValidator(one_line_break)]


class NoteForm(BaseModel):
    """A note to add. `key`: the form's own, given when the form was shown; sent again (a refresh, Back then send)
    it answers the note it added, never a second."""

    model_config = ConfigDict(extra="forbid")
    text: NoteText = Field(description=f"The note: required, at most {NOTE_MAX_LENGTH} characters (a line break is "
                                       "one), white space around it trimmed")
    key: uuid.UUID = Field(description="The form's key: the same key and words sent again add no second note")


@dataclass(frozen=True)
class Submission:
    """What a key was sent with: the thing the note is on, and its words."""

    thing_id: uuid.UUID
    text: str


def same_submission(existing: Submission, sent: Submission) -> bool:
    """A key sent again with the same thing and words is the same note sent twice (True); with anything else it is
    not a replay, and adds nothing (the person is asked to add it as a new note)."""
    return existing == sent


class NoteKeyUsedError(ConflictError):
    message = ("A note was already added from this form. Check the notes, then add what you wrote as a new note if "
               "it is not there")


class NoteRecord(SQLModel):
    """The columns of every service's notes table (each adds the id of the thing its notes are on)."""

    id: uuid.UUID = Column(primary_key=True)  # the note_id
    client_key: uuid.UUID  # the form's key: unique per writer (see `add`)
    by: str = Column(max_length=200)
    by_name: str | None = Column(default=None, max_length=200)  # the writer's display name (the token's name)
    team: str = Column(max_length=40)  # front_door, a service, or dsr_panel
    at: datetime = Column(sa_type=UTCDateTime, nullable=False, index=True)
    text: str = Column(sa_type=Text, nullable=False)


N = TypeVar("N", bound=NoteRecord)


@dataclass(frozen=True)
class Writer:
    """Who writes a note: their login id, display name and team."""

    by: str
    by_name: str | None
    team: str


def add(session: Session, table: type[N], form: NoteForm, on: tuple[str, uuid.UUID], writer: Writer,
        now: datetime) -> tuple[N, bool]:
    """Add a note to the thing `on` names (the column of `table` naming it, and its id), in the caller's transaction:
    (note, True) when added, and the caller queues its event (`written`) in the same transaction; (the note added
    before, False) when the writer sent this key and words already; NoteKeyUsedError when they sent this key with
    anything else. Two sends racing both find none: the loser's commit fails on the key's unique constraint and its
    caller runs the use case again (`added`), finding the winner's note."""
    column, thing_id = on
    found = session.exec(select(table).where(table.by == writer.by, table.client_key == form.key)).first()
    if found is not None:
        if not same_submission(Submission(getattr(found, column), found.text), Submission(thing_id, form.text)):
            raise NoteKeyUsedError
        return found, False
    note = table(id=uuid.uuid4(), client_key=form.key, by=writer.by, by_name=writer.by_name, team=writer.team, at=now,
                 text=form.text, **{column: thing_id})
    session.add(note)
    return note, True


def written(note: NoteRecord, child_id: uuid.UUID) -> dict[str, Any]:
    """What every note_added event says (schemas.events.NoteWritten, and its envelope): ids only, never the words.
    Its id is derived from the note's, so the event of a note is always the same event."""
    return {"event_id": derived_id(note.id, "note_added"), "occurred_at": note.at, "note_id": note.id,
            "child_id": child_id, "team": note.team, "by": note.by, "by_name": note.by_name}


def listed(session: Session, table: type[N], column: str, thing_ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    """The notes on the things `thing_ids` (by `table`'s `column`), newest first, as the API answers them."""
    ids = list(thing_ids)
    if not ids:
        return []
    query = select(table).where(col(getattr(table, column)).in_(ids))
    notes = session.exec(query.order_by(col(table.at).desc(), col(table.id))).all()
    return [view(n, column) for n in notes]


def view(note: NoteRecord, column: str) -> dict[str, Any]:
    return shown(Note, {"note_id": str(note.id), "at": note.at.isoformat(), "by": note.by, "by_name": note.by_name,
                        "team": note.team, "text": note.text, column: str(getattr(note, column))})


# `responses=` beside a note's POST (its own status is 201, the note added): what `added` answers the same form sent
# again, so a client generated from the document knows the 200 and its body.
SENT_AGAIN: dict[int | str, dict[str, Any]] = {
    200: {"model": Note, "description": "The same form (its key and words) sent again: the note it added; no second"}}


async def added(request: Request, response: Response, use_case: Callable[[Session], tuple[Any, ...]], column: str, *,
                by: Principal, action: str, about: About[Any]) -> dict[str, Any]:
    """Run a note's use case (it answers (note, added, ...)) audited, in one transaction: the note as the API answers
    it, 201 when added, 200 when it is the same form sent again. A send that lost a race with its own double (the
    unique key refused its commit) runs once more and finds the note the other added."""
    try:
        result = await in_transaction(request, use_case, by=by, action=action, about=about)
    except IntegrityError:
        result = await in_transaction(request, use_case, by=by, action=action, about=about)
    note, was_added = result[0], result[1]
    if not was_added:
        response.status_code = 200
    return view(note, column)
