"""Who holds a piece of work, the shell both owning services share: the people of each team as the service learns
them from the tokens it sees (`remember`, `colleagues`), and one change of holder written in the caller's
transaction — the holder on the thing's own row, the change in `work_assignments`, and (by the caller's `announce`)
the event through the outbox, so the three are one commit.

The directory: with OIDC the identity provider knows every person but the services cannot list them; each service
instead keeps who has used it (login id, name, team, when last seen): every request a service authenticates notes its
person in each of their teams (`signed_in`, from the shared auth dependency: at most once an hour per person and
team). A colleague who has never signed in is not offered until they have; someone not seen for
`KEPT_FOR` is no longer offered (they may have left). `names` answers the name a service knows for each login id (its
people, or the names kept with what people did), for "who saw this child"."""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, String, column, inspect, table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from schemas.lifecycle import FRONT_DOOR_TEAM
from services.common.assignment import Action, Change, Holder, NotAColleagueError, NotHolderError, plan, words
from services.common.auth import Principal
from services.common.db import session_scope
from services.common.logging import get_logger
from services.common.tables import TeamMember, UTCDateTime, WorkAssignment

log = get_logger("frontdoor.teams")
SIGNED_IN_AGAIN_AFTER = timedelta(hours=1)  # any authenticated request: at most this often
KEPT_FOR = timedelta(days=90)  # not seen for this long: no longer offered as a colleague
# This process's last note of each person (team, login id) -> (when, name), per database (engine)
_seen: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str], tuple[datetime, str | None]]] = \
    weakref.WeakKeyDictionary()
_noting = threading.Lock()  # one note at a time per process: a page's parallel calls write a person once


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


def remember(engine: Engine, principal: Principal, team: str, now: datetime, *,
             every: timedelta = SIGNED_IN_AGAIN_AFTER) -> None:
    """Note that `principal` of `team` used the service (its own short transaction): written when they are new, not
    seen for `every` (by this process's memory or, failing that, the table: another replica may have just noted
    them), or their token gives a new name (a token without one keeps the name known). Never fails the request it
    serves: a clash with another replica's write, or any database trouble, is logged (no name) and passed by."""
    key = (team, principal.subject)
    with _noting:  # only the check and the claim: a slow database holds up no other request's sign-in
        seen = _seen.setdefault(engine, {})
        last = seen.get(key)
        if last is not None and now - last[0] < every and principal.name in (None, last[1]):
            return
        claim = seen[key] = (now, principal.name or (last[1] if last else None))  # a parallel request skips
    try:
        with session_scope(engine) as session:
            member = session.get(TeamMember, key)
            if member is None:
                member = TeamMember(team=team, subject=principal.subject, name=principal.name, last_seen=now)
                session.add(member)
            elif now - member.last_seen >= every or principal.name not in (None, member.name):
                member.last_seen, member.name = now, principal.name or member.name
                session.add(member)
        seen[key] = (member.last_seen, member.name)  # as the table has them now
    except IntegrityError:
        pass  # another replica wrote the person first: known either way
    except Exception as exc:  # noqa: BLE001 - the directory is a convenience; the request goes on
        with _noting:
            if seen.get(key) == claim:
                del seen[key]  # not noted: the next request tries again
        log.warning("team member not noted", error_type=type(exc).__name__)


def teams_of(principal: Principal) -> tuple[str, ...]:
    """The teams a person is noted in: each service they work for, the front door (its manager too), the DSR meeting
    (its chair too); else their role (a referrer, an administrator); none: no role at all."""
    teams = [role.removeprefix("worker:") for role in sorted(principal.roles) if role.startswith("worker:")]
    teams += [team for team in (FRONT_DOOR_TEAM, "dsr_panel") if principal.has(team)]
    return tuple(teams) or ((principal.primary_role,) if principal.primary_role else ())


def signed_in(engine: Engine, principal: Principal, now: datetime) -> None:
    """Note the person a service just authenticated (the shared auth dependency calls it): at most once per
    SIGNED_IN_AGAIN_AFTER per person and team, so they are offered as a colleague in each of their teams and their
    name is known to the service's who-saw answer."""
    for team in teams_of(principal):
        remember(engine, principal, team, now)


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


# --- names: who a login id is, as far as this service knows ---------------------------------------------------------

# Where a service keeps people's names with what they did: table -> (login id column, name column, time column)
NAMES_KEPT_WITH = (
    ("team_members", "subject", "name", "last_seen"),
    ("work_assignments", "by", "by_name", "at"), ("work_assignments", "assigned_to", "assigned_to_name", "at"),
    ("referral_notes", "by", "by_name", "at"), ("service_request_notes", "by", "by_name", "at"),
    ("dsr_notes", "by", "by_name", "at"), ("worklist_items", "actor", "actor_name", "updated_at"),
    ("front_door_decisions", "decided_by", "decided_by_name", "decided_at"), ("child_merges", "by", "by_name", "at"),
    ("information_chases", "by", "by_name", "at"), ("dsr_rating_history", "by", "by_name", "at"),
    ("dsr_reviews", "by", "by_name", "recorded_at"),
)


def names(session: Session, subjects: Iterable[str]) -> dict[str, str]:
    """Login id -> the name this service knows for it, the latest any of its tables holds (the person's sign-ins,
    or what they did): a login id with no name anywhere is left out (never guessed)."""
    wanted = sorted({s for s in subjects if s})
    present = set(inspect(session.get_bind()).get_table_names())
    latest: dict[str, tuple[datetime, str]] = {}
    for name, who, called, when in NAMES_KEPT_WITH:
        if name not in present:
            continue
        subject, person, at = column(who, String()), column(called, String()), column(when, UTCDateTime())
        for start in range(0, len(wanted), 500):
            query = (select(subject, person, at).select_from(table(name))
                     .where(subject.in_(wanted[start:start + 500]), person.is_not(None)))
            for login, known, seen_at in session.execute(query).all():
                kept = latest.get(login)
                if kept is None or seen_at > kept[0]:
                    latest[login] = (seen_at, known)
    return {login: known for login, (_, known) in latest.items()}

