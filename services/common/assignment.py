"""Who holds a piece of work (a front-door queue item, a service request), the pure part: what a pick-up, a give, a
release or a handover changes, and when it is refused. Shared by intake (the front door's queue) and the worklists
(each service's requests); each writes the holder on its own row and announces the change on the topic of the thing
it changes (`schemas.events.Assignment`). No SQL, no I/O.

Taking an item someone else holds is never silent: without `confirm` it is refused with who holds it
(`HeldByAnotherError`); with `confirm`, the holder the person saw (`expected`) must still be the holder, else it is
refused with who holds it now (`HolderChangedError`), so two people cannot take the same item from each other
unknowingly. Asking for what is already so (picking up an item you hold, releasing a free one) changes nothing and
announces nothing: a retried request is harmless."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from services.common.errors import ConflictError, DomainError

Action = Literal["pick_up", "give", "release", "hand_over"]
ACTIONS: tuple[Action, ...] = ("pick_up", "give", "release", "hand_over")


@dataclass(frozen=True)
class Holder:
    """A person of a team: their login id (`subject`, for checks and the events) and their display name (shown)."""

    subject: str
    name: str | None = None

    def shown(self) -> dict[str, Any]:
        return {"subject": self.subject, **({"name": self.name} if self.name else {})}


@dataclass(frozen=True)
class Change:
    """One change of holder: `change` as the events name it, who holds it after (`to`, None: nobody) and before."""

    change: Literal["picked_up", "taken_over", "given", "handed_over", "unassigned"]
    to: Holder | None
    previous: Holder | None


class HeldByAnotherError(ConflictError):
    """Someone else holds the item and the person did not confirm taking it over."""

    message = "Someone else is working on this: confirm that you want to take it over"

    def __init__(self, holder: Holder):
        super().__init__()
        self.extra = held_by(holder)


class HolderChangedError(ConflictError):
    """Who holds the item changed since the person looked (their confirmation was for someone else)."""

    message = "Who is working on this changed since you looked: check who has it now"

    def __init__(self, holder: Holder | None):
        super().__init__()
        self.extra = held_by(holder)


class NotHolderError(ConflictError):
    """A handover names an item the person handing over does not hold (any more)."""

    message = "One of these items is no longer held by the person handing over: nothing was handed over"

    def __init__(self, holder: Holder | None):
        super().__init__()
        self.extra = held_by(holder)


class NotAColleagueError(DomainError):
    status = 422
    message = "Choose a colleague from your team"


def held_by(holder: Holder | None) -> dict[str, Any]:
    """A refusal's extension members: who holds the item now (login id and name; null: nobody)."""
    return {"held_by": holder.subject if holder else None, "held_by_name": holder.name if holder else None}


def plan(action: Action, *, current: Holder | None, actor: Holder, to: Holder | None = None, confirm: bool = False,
         expected: str | None = None) -> Change | None:
    """What `actor` doing `action` to an item `current` holds changes (None: nothing, it is so already).

    `to`: the colleague given the item (give, hand_over). `confirm`: the person was shown who holds it and confirmed;
    `expected`: the login id of the holder they were shown (None: nobody). Taking an item from someone else (any
    action on an item another person holds) needs `confirm`; a confirmation must be for the holder there is now."""
    if action in ("give", "hand_over") and to is None:
        raise NotAColleagueError
    after = actor if action == "pick_up" else None if action == "release" else to
    now_held = current.subject if current else None
    if confirm and expected != now_held:
        raise HolderChangedError(current)
    if (after.subject if after else None) == now_held:
        return None
    if current is not None and current.subject != actor.subject and not confirm:
        raise HeldByAnotherError(current)
    if action == "pick_up":
        kind: Any = "picked_up" if current is None else "taken_over"
    else:
        kind = {"give": "given", "hand_over": "handed_over", "release": "unassigned"}[action]
    return Change(change=kind, to=after, previous=current)


def words(change: str, to_name: str | None, by_name: str | None) -> str:
    """A change as people read it (no login ids): "Picked up by Dana Wright", "Given to Sol Ahmed by Dana Wright"."""
    who, by = to_name or "a colleague", by_name or "a colleague"
    return {
        "picked_up": f"Picked up by {who}", "taken_over": f"Taken over by {who}",
        "given": f"Given to {who} by {by}", "handed_over": f"Handed over to {who} by {by}",
        "unassigned": f"Released by {by}",
    }.get(change, change)
