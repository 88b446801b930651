"""Who holds a piece of work, the shell both owning services share: the people of each team as the service learns
them from the tokens it sees (`remember`, `colleagues`), and one change of holder written in the caller's
transaction — the holder on the thing's own row, the change in `work_assignments`, and (by the caller's `announce`)
the event through the outbox, so the three are one commit.

The directory: with OIDC the identity provider knows every person but the services cannot list them; each service
instead keeps who has used it (login id, name, team, when last seen). A colleague who has never signed in is not
offered until they have; someone not seen for `KEPT_FOR` is no longer offered (they may have left)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.common.assignment import Action, Change, Holder, NotAColleagueError, NotHolderError, plan, words
from services.common.auth import Principal
from services.common.db import session_scope
from services.common.logging import get_logger
from services.common.tables import TeamMember, WorkAssignment, utcnow

log = get_logger("frontdoor.teams")
SEEN_AGAIN_AFTER = timedelta(minutes=10)  # a person's last_seen is written at most this often per process
KEPT_FOR = timedelta(days=90)  # not seen for this long: no longer offered as a colleague
_seen: dict[tuple[str, str, str], tuple[datetime, str | None]] = {}  # this process's last write per database, person


class Held(Protocol):
    """A row a person can hold (a referral on the queue, a worklist item)."""

    id: uuid.UUID
    assigned_to: str | None
    assigned_to_name: str | None
    assigned_at: datetime | None


def holder_of(row: Held) -> Holder | None:
    return Holder(row.assigned_to, row.assigned_to_name) if row.assigned_to else None


def all_held_by(rows: list[Any], holder: str) -> None:
    """A handover's check before anything changes: every row is still `holder`'s (NotHolderError: one is not, with
    who holds it now), so a handover is all or nothing."""
    for row in rows:
        if row.assigned_to != holder:
            raise NotHolderError(holder_of(row))


def remember(engine: Engine, principal: Principal, team: str, now: datetime) -> None:
    """Note that `principal` of `team` used the service (its own short transaction, at most every
    SEEN_AGAIN_AFTER per person and process unless their name changed). Never fails the request it serves: a
    clash with another replica's write, or any database trouble, is logged and passed by."""
    key = (str(engine.url), team, principal.subject)
    last = _seen.get(key)
    if last is not None and now - last[0] < SEEN_AGAIN_AFTER and last[1] == principal.name:
        return
    try:
        with session_scope(engine) as session:
            member = session.get(TeamMember, (team, principal.subject))
            if member is None:
                session.add(TeamMember(team=team, subject=principal.subject, name=principal.name, last_seen=now))
            else:
                member.last_seen, member.name = now, principal.name or member.name
                session.add(member)
        _seen[key] = (now, principal.name)
    except IntegrityError:
        _seen[key] = (now, principal.name)  # another replica wrote the person first: known either way
    except Exception as exc:  # noqa: BLE001 - the directory is a convenience; the request goes on
        log.warning("team member not noted", error_type=type(exc).__name__)


async def note_member(request: Request, principal: Principal, team: str) -> Principal:
    """`remember` the caller (off the event loop), for a route's dependency; gives the principal back."""
    await asyncio.to_thread(remember, request.app.state.engine, principal, team, utcnow())
    return principal


def colleagues(session: Session, team: str, now: datetime) -> list[dict[str, Any]]:
    """The people of `team` seen in the last KEPT_FOR, by name (login id, name, last seen)."""
    rows = session.exec(select(TeamMember).where(TeamMember.team == team,
                                                 col(TeamMember.last_seen) >= now - KEPT_FOR)).all()
    people = [{"subject": r.subject, **({"name": r.name} if r.name else {}), "last_seen": r.last_seen.isoformat()}
              for r in rows]
    return sorted(people, key=lambda p: ((p.get("name") or "").casefold(), p["subject"]))


def colleague(session: Session, team: str, subject: str | None, now: datetime) -> Holder:
    """The colleague of `team` with login id `subject` (NotAColleagueError: not one of the team, as far as known)."""
    member = session.get(TeamMember, (team, subject or ""))
    if member is None or member.last_seen < now - KEPT_FOR:
        raise NotAColleagueError
    return Holder(member.subject, member.name)


def change_holder(session: Session, row: Held, *, team: str, action: Action, actor: Principal, now: datetime,
                  to: str | None = None, confirm: bool = False, expected: str | None = None,
                  announce: Callable[[WorkAssignment], None]) -> Change | None:
    """Do `action` to `row` (which the caller read locked, FOR UPDATE): the holder on the row, the change in
    `work_assignments`, and `announce(change)` queues its event (whose id is the change's) in this transaction.
    None: nothing changed (so nothing is announced)."""
    given = colleague(session, team, to, now) if action in ("give", "hand_over") else None
    me = Holder(actor.subject, actor.name)
    change = plan(action, current=holder_of(row), actor=me, to=given, confirm=confirm, expected=expected)
    if change is None:
        return None
    row.assigned_to = change.to.subject if change.to else None
    row.assigned_to_name = change.to.name if change.to else None
    row.assigned_at = now
    session.add(row)
    record = WorkAssignment(
        id=uuid.uuid4(), item_id=row.id, team=team, change=change.change, assigned_to=row.assigned_to,
        assigned_to_name=row.assigned_to_name,
        previously_assigned_to=change.previous.subject if change.previous else None,
        by=actor.subject, by_name=actor.name, at=now)
    session.add(record)
    announce(record)
    return change


def history(session: Session, item_id: uuid.UUID) -> list[WorkAssignment]:
    """Every change of who held an item, oldest first."""
    return list(session.exec(select(WorkAssignment).where(WorkAssignment.item_id == item_id)
                             .order_by(col(WorkAssignment.at), col(WorkAssignment.id))).all())


def event_fields(record: WorkAssignment) -> dict[str, Any]:
    """The fields of `schemas.events.Assignment` (and the envelope's id and time) for the change `record`."""
    return {"event_id": record.id, "occurred_at": record.at, "team": record.team, "change": record.change,
            "assigned_to": record.assigned_to, "assigned_to_name": record.assigned_to_name,
            "previously_assigned_to": record.previously_assigned_to, "by": record.by, "by_name": record.by_name}


def holder_shown(row: Held) -> dict[str, Any] | None:
    """`schemas.views.assignments.HolderShown` of the row's holder (None: nobody)."""
    if not row.assigned_to:
        return None
    return {"subject": row.assigned_to, **({"name": row.assigned_to_name} if row.assigned_to_name else {}),
            **({"since": row.assigned_at.isoformat()} if row.assigned_at else {})}


def holding(session: Session, row: Held, *, team: str, caller: str, now: datetime) -> dict[str, Any]:
    """`schemas.views.assignments.Holding` of one row: its holder, every change in words, and the colleagues it can
    be given to (everyone of the team seen lately but the caller)."""
    changes = [{"change": r.change, "at": r.at.isoformat(), "words": words(r.change, r.assigned_to_name, r.by_name)}
               for r in history(session, row.id)]
    return {"item_id": str(row.id), "team": team, "holder": holder_shown(row), "history": changes,
            "colleagues": [c for c in colleagues(session, team, now) if c["subject"] != caller]}
