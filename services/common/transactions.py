"""The HTTP side of the handling kit: run one use case in a worker thread, in one transaction, with
its audit row, and answer a refused use case with the right HTTP error.

    result = await in_transaction(request, lambda s: handlers.close_entry(s, entry_id, ...),
                                  by=by, action="dsr.close", about=Subject(record_id=entry_id))

The audit row (who read or wrote which child's record) is written in the same transaction as the
use case, so a refused or failed use case leaves none, and a done one always has one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.auth import Principal
from services.common.db import session_scope
from services.common.errors import DomainError
from services.common.tables import AuditEntry

T = TypeVar("T")


@dataclass(frozen=True)
class Subject:
    """Whose record a use case read or wrote, for the audit row."""

    referral_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None


NOBODY = Subject()


def audit(session: Session, by: Principal, action: str, about: Subject = NOBODY) -> None:
    """Append one audit row in the caller's transaction: the one way audit rows are written."""
    session.add(AuditEntry(actor=by.subject, role=by.primary_role, action=action, referral_id=about.referral_id,
                           child_id=about.child_id, record_id=about.record_id))


def run_audited(engine: Engine, use_case: Callable[[Session], T], *, by: Principal, action: str,
                about: Subject | Callable[[T], Subject | None] = NOBODY) -> T:
    """`use_case` in one transaction with its audit row (blocking; `in_transaction` runs it in a thread).
    `about` may be worked out from the result; when it gives None nothing is audited (nothing was shown)."""
    with session_scope(engine) as session:
        result = use_case(session)
        subject = about(result) if callable(about) else about
        if subject is not None:
            audit(session, by, action, subject)
        return result


async def in_transaction(request: Request, use_case: Callable[[Session], T], *, by: Principal, action: str,
                         about: Subject | Callable[[T], Subject | None] = NOBODY) -> T:
    """Run `use_case` in a worker thread inside one transaction of the service's database, with its
    audit row; a DomainError becomes its HTTP status and message. Then publish what it queued."""
    from services.common.runtime import wake_relay

    try:
        engine = request.app.state.engine
        result = await asyncio.to_thread(run_audited, engine, use_case, by=by, action=action, about=about)
    except DomainError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    wake_relay(request.app)
    return result
