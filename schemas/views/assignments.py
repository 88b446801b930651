"""Who holds a piece of work, as the owning service's API answers it (intake for the front door's queue items, the
worklists for a service's requests): the holder, every change in words, the colleagues it can be given to, and a
handover's count. A login id (`subject`) is for the portal's forms and checks; people are shown `name`."""

from __future__ import annotations

import uuid

from pydantic import Field

from schemas.views import View

ISO = "ISO 8601, as stored"


class HolderShown(View):
    """Who holds an item now."""

    subject: str = Field(description="Their login id (the token's subject): for forms and checks, never shown")
    name: str | None = Field(None, description="Their name, as people read it (left out: their token had none)")
    since: str | None = Field(None, description=f"Since when ({ISO})")


class Colleague(View):
    """A person of the team, as the service learned them from the tokens it saw."""

    subject: str
    name: str | None = None
    last_seen: str = Field(description=f"When they last used the service ({ISO})")


class ChangeShown(View):
    """One change of who held the item."""

    change: str = Field(description="picked_up, taken_over, given, handed_over or unassigned")
    at: str = Field(description=ISO)
    words: str = Field(description="In words: 'Given to Sol Ahmed by Dana Wright'")


class Holding(View):
    """Who holds one item, what changed, and whom it could be given to."""

    item_id: uuid.UUID = Field(description="The referral (front door) or the service request")
    team: str = Field(description="front_door, or the service")
    holder: HolderShown | None = Field(description="null: nobody has picked it up")
    history: list[ChangeShown] = Field(description="Every change, oldest first")
    colleagues: list[Colleague] = Field(description="The team's people it can be given to (the caller left out)")


class HandedOver(View):
    """A handover: how many items changed hands, and to whom."""

    handed_over: int
    to: HolderShown
