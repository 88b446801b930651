"""Case notes (issue 23, item 4): what a service answers about the notes on a front-door referral, a service request or
a register entry. A note is personal data: its words stay with the service that holds the thing (the events say only
that a note was written, schemas/events.py NoteWritten), readable by the roles that may read the thing itself.
Notes are never changed or taken away: more to say is a new note."""

from __future__ import annotations

import uuid

from pydantic import Field

from schemas.labels import label
from schemas.lifecycle import FRONT_DOOR_TEAM
from schemas.views import View

NOTE_MAX_LENGTH = 5000  # characters, as a person counts them (a line break is one)
DSR_PANEL_TEAM = "dsr_panel"
TEAM_WORDS = {FRONT_DOOR_TEAM: "front door", DSR_PANEL_TEAM: "DSR meeting"}


class Note(View):
    """One note, with the thing it is on (exactly one of `referral_id`, `service_request_id`, `entry_id`)."""

    note_id: uuid.UUID
    at: str = Field(description="When it was written: ISO 8601, as stored")
    by: str = Field(description="Who wrote it: their login id (never shown to people as a name)")
    by_name: str | None = Field(description="Who wrote it, as people read it (None when their token had no name)")
    team: str = Field(description="The writer's team: `front_door`, a service, or `dsr_panel`")
    text: str
    referral_id: uuid.UUID | None = None
    service_request_id: uuid.UUID | None = None
    entry_id: uuid.UUID | None = None


def written_by(name: str | None, team: str) -> str:
    """Who wrote a note, as a page shows it: "Dana Wright, front door"."""
    return f"{name or 'Name not recorded'}, {TEAM_WORDS.get(team) or label(team)}"
