"""Who is working on a piece of work, what the portal's pages share: where an item's holder is read and changed
(`Place`: the owning service's API and the item's own page), the holder read for an item's page, and the words."""

import uuid
from dataclasses import dataclass
from typing import Any

from schemas.enums import Service
from schemas.views.assignments import Holding
from services.portal.backend import BackendError, Client

DONE = {"picked_up": "You are now working on this.", "taken_over": "You have taken this over.",
        "given": "Given to your colleague. They can see it under My work.", "released": "Released. Anyone in your "
        "team can now pick it up.", "handed_over": "Handed over."}


@dataclass(frozen=True)
class Place:
    """Where an item's holder lives: the service and its API paths, and the portal's pages for it."""

    service: str  # "intake" or "worklists"
    api: str  # the item's assignment API
    page: str  # the item's own page in the portal
    what: str  # "referral" or "request", in sentences


def referral_place(referral_id: uuid.UUID) -> Place:
    return Place("intake", f"/front-door/referrals/{referral_id}/assignment", f"/front-door/referrals/{referral_id}",
                 "referral")


def request_place(service: Service, request_id: uuid.UUID) -> Place:
    return Place("worklists", f"/worklists/{service.value}/requests/{request_id}/assignment",
                 f"/work/{service.value}/{request_id}", "request")


async def holding_of(api: Client, place: Place) -> dict[str, Any] | None:
    """Who holds the item, its changes and the colleagues (None: the item is not there)."""
    try:
        holding: dict[str, Any] = await api.read(Holding, place.service, "GET", place.api)
    except BackendError as exc:
        if exc.status == 404:
            return None
        raise
    return holding


def holder_name(holder: dict[str, Any] | None) -> str:
    """Who holds it, as people read it: their name, or "a colleague" when their token had none (never a login id)."""
    if holder is None:
        return "Nobody"
    return str(holder.get("name") or "A colleague")


def done_words(params: Any) -> str | None:
    """The banner after a change of who is working on an item (`?assigned=<change>`), None without one."""
    return DONE.get(params.get("assigned", ""))
