"""The HTTP side of the handling kit: run one use case in a worker thread, in one transaction, with
its audit row, and answer a refused use case with the right HTTP error.

    result = await in_transaction(request, lambda s: handlers.close_entry(s, entry_id, ...),
                                  by=by, action="dsr.close", about=Subject(record_id=entry_id))

Every access is audited (`services/common/audit.py`: who, role, when, action, outcome and HTTP status,
client address, every child id shown). A done use case's row commits with it: never an effect without
its row, never a row for an effect that did not happen. A refused or failed one (404, 409, 422, an
error) is rolled back, and its row is written after, in a transaction of its own, so it survives.
Refusals before any use case runs (no or a bad token, a role check, a body that does not validate)
are audited by `AuditedRoute`, the route class of every API router."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common import audit as chain
from services.common.auth import Principal
from services.common.db import session_scope
from services.common.errors import DomainError
from services.common.logging import get_logger

T = TypeVar("T")
log = get_logger("frontdoor.audit")
CLIENT: ContextVar[str | None] = ContextVar("audit_client", default=None)  # the request's client address


@dataclass(frozen=True)
class Subject:
    """Whose record a use case read or wrote, for the audit row; `child_ids`: every child a list showed."""

    referral_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None
    child_ids: tuple[uuid.UUID, ...] = ()


NOBODY = Subject()


@dataclass(frozen=True)
class Shown(Generic[T]):
    """`about=` for a list read whose result does not carry its child ids: `children(session, result)`
    looks them up in the use case's own transaction; `base` says what else the read was about."""

    children: Callable[[Session, T], Iterable[uuid.UUID]]
    base: Subject = NOBODY


About = Subject | Callable[[T], Subject | None] | Shown[T]


def children_of(table: Any, key: str, base: Subject = NOBODY) -> Shown[list[dict[str, Any]]]:
    """`about=` for a list read returning dicts whose `key` is an id of `table` (a table with `child_id`):
    every child the list showed, e.g. `children_of(WorklistItem, "service_request_id")`."""

    def children(session: Session, items: list[dict[str, Any]]) -> list[uuid.UUID]:
        ids = [uuid.UUID(str(i[key])) for i in items if i.get(key)]
        found: list[uuid.UUID] = []
        for start in range(0, len(ids), 500):
            found += session.exec(select(table.child_id).where(col(table.id).in_(ids[start:start + 500]))).all()
        return found

    return Shown(children, base)


PENDING = "frontdoor.audit.pending"


def audit(session: Session, by: Principal, action: str, about: Subject = NOBODY, *, outcome: str = chain.ALLOWED,
          status: int | None = None, client: str | None = None) -> None:
    """Add one audit row to the caller's transaction: the one way audit rows are written. The row is appended to
    the chain as the transaction commits (`_append_pending`), so the chain's lock is held only while it commits,
    not for the rest of a long use case (a bulk import audits each referral it submits)."""
    session.info.setdefault(PENDING, []).append(dict(
        actor=by.subject, role=by.primary_role, action=action, outcome=outcome, status=status,
        client=client or CLIENT.get(), referral_id=about.referral_id, child_id=about.child_id,
        record_id=about.record_id, child_ids=about.child_ids))


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        chain.append_many(session, pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)  # a rolled-back use case's rows go with it (a refusal is audited on its own)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status a refusal becomes (None: not a refusal, an error)."""
    if isinstance(exc, DomainError):
        return exc.status
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, (ValidationError, RequestValidationError)):
        return 422
    return None


def audit_alone(engine: Engine, by: Principal | None, action: str, about: Subject, *, status: int | None,
                client: str | None) -> bool:
    """One row in a transaction of its own (a refusal or failure: the use case's own rolled back).
    A row that cannot be written is logged (never its content) and does not hide the refusal itself."""
    who = by or Principal(subject="", roles=frozenset())
    try:
        with session_scope(engine) as session:
            audit(session, who, action, about, outcome=chain.outcome_of(status), status=status, client=client)
        return True
    except Exception as exc:  # noqa: BLE001 - the caller re-raises the refusal it is recording
        log.error("audit row not written", status_code=status, error_type=type(exc).__name__)
        return False


def _subject(about: About[T], result: T, session: Session) -> Subject | None:
    if isinstance(about, Subject):
        return about
    if isinstance(about, Shown):
        return replace(about.base, child_ids=tuple(about.children(session, result)))
    return about(result)


def run_audited(engine: Engine, use_case: Callable[[Session], T], *, by: Principal, action: str,
                about: About[T] = NOBODY, status: int | None = None, client: str | None = None,
                refused_about: Subject = NOBODY, audited: Callable[[], None] = lambda: None) -> T:
    """`use_case` in one transaction with its audit row (blocking; `in_transaction` runs it in a thread).
    `about` may be worked out from the result; when it gives None nothing is audited (nothing was shown).
    Refused or failed: rolled back, then a row of its own (about `about` if fixed, else `refused_about`).
    `audited()` is called once a row is written."""
    try:
        with session_scope(engine) as session:
            result = use_case(session)
            subject = _subject(about, result, session)
            if subject is not None:
                audit(session, by, action, subject, status=status, client=client)
        if subject is not None:
            audited()
        return result
    except Exception as exc:
        fixed = about if isinstance(about, Subject) else about.base if isinstance(about, Shown) else NOBODY
        if audit_alone(engine, by, action, fixed if fixed != NOBODY else refused_about,
                       status=status_of(exc), client=client or CLIENT.get()):
            audited()
        raise


def client_of(request: Request) -> str | None:
    """The client's address (behind a proxy, uvicorn's proxy headers settings decide whom to believe)."""
    return request.client.host if request.client else None


def path_subject(request: Request) -> Subject:
    """What a refused request was about, from its path: a referral id, a child id, or another record's id."""
    ids: dict[str, uuid.UUID] = {}
    for name, value in request.path_params.items():
        if name.endswith("_id"):
            try:
                ids[name] = uuid.UUID(str(value))
            except ValueError:
                continue
    record = next((v for k, v in ids.items() if k not in ("referral_id", "child_id")), None)
    return Subject(referral_id=ids.get("referral_id"), child_id=ids.get("child_id"), record_id=record)


async def in_transaction(request: Request, use_case: Callable[[Session], T], *, by: Principal, action: str,
                         about: About[T] = NOBODY) -> T:
    """Run `use_case` in a worker thread inside one transaction of the service's database, with its
    audit row; a DomainError becomes its HTTP status and message. Then publish what it queued."""
    from services.common.runtime import wake_relay

    route = request.scope.get("route")
    status = getattr(route, "status_code", None) or 200
    client = client_of(request)
    CLIENT.set(client)  # this request's task (and the worker thread) only
    try:
        engine = request.app.state.engine
        result = await asyncio.to_thread(run_audited, engine, use_case, by=by, action=action, about=about,
                                         status=status, client=client, refused_about=path_subject(request),
                                         audited=lambda: setattr(request.state, "audited", True))
    except DomainError as exc:
        raise HTTPException(exc.status, {"title": str(exc), **exc.extra} if exc.extra else str(exc)) from None
    wake_relay(request.app)
    return result


class AuditedRoute(APIRoute):
    """The route class of every API router: a request refused or failed before (or without) an audited use
    case — no or a bad token (401), a role check (403), a body that does not validate (422), any error —
    still leaves an audit row, with the principal when the token was good and the path's ids."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        action = f"{','.join(sorted(self.methods or ()))} {self.path}"

        async def audited(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                await _refused(request, action, status_of(exc) or 500)
                raise
            if response.status_code >= 400:
                await _refused(request, action, response.status_code)
            return response

        return audited


async def _refused(request: Request, action: str, status: int) -> None:
    if getattr(request.state, "audited", False):  # a use case's row already says how it ended
        return
    by: Any = getattr(request.state, "principal", None)
    who = by if isinstance(by, Principal) else None
    request.state.audited = await asyncio.to_thread(audit_alone, request.app.state.engine, who, action,
                                                    path_subject(request), status=status, client=client_of(request))


def nothing_shown(_: object) -> None:
    """No audit row: nothing about a child was read or written (aggregates, a check that shows nothing)."""
    return None
