"""Server-side portal sessions (starsessions, on the portal's own database).

The browser's cookie carries only a random session id: who is signed in, and with OIDC the identity
provider's tokens, stay in `portal_sessions`, under a hash of that id. A session ends when it is unused for
SESSION_IDLE_MINUTES, at its absolute end (sign-in + SESSION_ABSOLUTE_HOURS, or the access token's expiry if
sooner) and at sign-out; an ended session is never written again, so a replayed cookie finds nobody signed
in. Referral drafts are kept by owner in `portal_drafts`, not here, so an ended session loses no work."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Column, Engine, Text, delete, or_
from sqlmodel import Field, SQLModel
from starlette.concurrency import run_in_threadpool
from starsessions import SessionStore, generate_session_id, get_session_id, regenerate_session_id

from services.common.db import session_scope
from services.common.settings import Settings
from services.common.tables import Timestamp, utcnow

COOKIE = "frontdoor_portal"
ENDS_AT = "ends_at"  # the session's absolute end (seconds since the epoch), set at sign-in
ENDED_FOR = "ended_for"  # an ended (timed-out) row keeps only whose it was, until the purge: see KEPT
KEPT = "kept_form"  # a form posted after the session ended, for the same person once they sign in again
PURGE_AFTER = timedelta(days=1)  # ended rows are kept this long (a late response must not bring one back)
NOT_STATIC = r"^/(?!assets/|static/|app-assets/)"  # static files neither load a session nor keep one alive


class PortalSession(SQLModel, table=True):
    __tablename__ = "portal_sessions"
    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's id: the table alone opens nothing
    data: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Timestamp()
    last_seen_at: datetime = Timestamp()
    expires_at: datetime = Timestamp(index=True)


def cookie_secure(settings: Settings) -> bool:
    """The Secure flag: on unless AUTH_MODE=dev, whatever SESSION_COOKIE_SECURE says otherwise."""
    if settings.session_cookie_secure is not None:
        return settings.session_cookie_secure
    return settings.auth_mode != "dev"


def absolute_end(signed_in: datetime, settings: Settings, token_expiry: float | None = None) -> datetime:
    """When a session begun at `signed_in` must end: SESSION_ABSOLUTE_HOURS later, or at the token's expiry."""
    end = signed_in + timedelta(hours=settings.session_absolute_hours)
    if token_expiry is not None:
        end = min(end, datetime.fromtimestamp(token_expiry, timezone.utc))
    return end


def has_ended(row: PortalSession, now: datetime, idle: timedelta) -> bool:
    return now >= row.expires_at or now - row.last_seen_at >= idle


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class DatabaseStore(SessionStore):
    """starsessions' store on `portal_sessions`. `clock` can be set (tests move time on without sleeping)."""

    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.absolute = timedelta(hours=settings.session_absolute_hours)
        self.clock = clock

    async def read(self, session_id: str, lifetime: int) -> bytes:
        return await run_in_threadpool(self._read, session_id)

    async def write(self, session_id: str, data: bytes, lifetime: int, ttl: int) -> str:
        return await run_in_threadpool(self._write, session_id, data)

    async def remove(self, session_id: str) -> None:
        await run_in_threadpool(self._end, session_id)

    def _read(self, session_id: str) -> bytes:
        now = self.clock()
        with session_scope(self.engine) as db:
            row = db.get(PortalSession, _key(session_id))
            if row is None:
                return b""
            if has_ended(row, now, self.idle):
                self._wipe(row, now, keep_owner=True)
                return b""
            return row.data.encode()

    def ended_owner(self, session_id: str) -> str | None:
        """Whose session this was, when it ended by timing out (not by signing out); None otherwise."""
        with session_scope(self.engine) as db:
            row = db.get(PortalSession, _key(session_id))
            if row is None or not has_ended(row, self.clock(), self.idle):
                return None
            if row.data != "{}" and ENDED_FOR not in json.loads(row.data):
                self._wipe(row, self.clock(), keep_owner=True)  # timed out, not read since
            owner = json.loads(row.data).get(ENDED_FOR)
            return owner if isinstance(owner, str) else None

    def _write(self, session_id: str, data: bytes, *, now: datetime | None = None) -> str:
        now = now or self.clock()
        ends_at = json.loads(data or b"{}").get(ENDS_AT)
        with session_scope(self.engine) as db:
            row = db.get(PortalSession, _key(session_id))
            if row is not None and has_ended(row, now, self.idle):
                self._wipe(row, now, keep_owner=True)
                if ends_at is not None:  # a late answer to a request of an ended session: it stays ended
                    return session_id
                row, session_id = None, generate_session_id()  # signed out, starting again: a new id
            if row is None:
                expires = now + self.absolute
                if ends_at is not None:
                    expires = min(expires, datetime.fromtimestamp(ends_at, timezone.utc))
                db.add(PortalSession(id=_key(session_id), data=data.decode(), created_at=now, last_seen_at=now,
                                     expires_at=expires))
                table = PortalSession.__table__.c  # type: ignore[attr-defined]
                db.execute(delete(PortalSession).where(or_(table.expires_at < now - PURGE_AFTER,
                                                           table.last_seen_at < now - self.idle - PURGE_AFTER)))
                return session_id
            row.data, row.last_seen_at = data.decode(), now
            if ends_at is not None:
                row.expires_at = min(row.expires_at, datetime.fromtimestamp(ends_at, timezone.utc))
            db.add(row)
            return session_id

    def _end(self, session_id: str) -> None:
        with session_scope(self.engine) as db:
            row = db.get(PortalSession, _key(session_id))
            if row is not None:
                self._wipe(row, self.clock())

    def _wipe(self, row: PortalSession, now: datetime, *, keep_owner: bool = False) -> None:
        """End a row for good: its data (a token, perhaps) goes now, but for whose it was when it timed out
        (`keep_owner`: so a form posted just after is kept for that person alone); the row at the next purge."""
        owner = owner_of(json.loads(row.data or "{}")) if keep_owner else None
        if owner is None and keep_owner:
            owner = json.loads(row.data or "{}").get(ENDED_FOR)
        row.data = json.dumps({ENDED_FOR: owner}) if isinstance(owner, str) else "{}"
        row.expires_at = min(row.expires_at, now)
        row.last_seen_at = min(row.last_seen_at, now)


def owner_of(data: dict[str, Any]) -> str | None:
    """Who a session's data says is signed in: the seeded person's key (dev), or the provider's subject (OIDC)."""
    if isinstance(data.get("user"), str):
        return str(data["user"])
    signed_in = data.get("oidc")
    return str(signed_in["subject"]) if isinstance(signed_in, dict) and signed_in.get("subject") else None


def seconds_left(request: Request) -> int:
    """How long the signed-in session has left if nothing more is done: the idle timeout, or less near its
    absolute end (the timeout warning counts down from this)."""
    store = store_of(request)
    left = store.idle.total_seconds()
    ends_at = request.session.get(ENDS_AT)
    if isinstance(ends_at, (int, float)):
        left = min(left, ends_at - store.clock().timestamp())
    return max(0, int(left))


def store_of(request: Request) -> DatabaseStore:
    return request.app.state.session_store  # type: ignore[no-any-return]


async def begin(request: Request, who: dict[str, Any], *, token_expiry: float | None = None) -> None:
    """Sign a person in: the session they came with ends, a new id is issued (no fixation), `who` kept."""
    old = get_session_id(request)
    kept = request.session.get(KEPT)
    if old:
        await store_of(request).remove(old)
    regenerate_session_id(request)
    request.session.clear()
    request.session.update(who)
    if isinstance(kept, dict) and kept.get("for") == owner_of(who):  # only ever for the person who typed it
        request.session[KEPT] = kept
    request.session[ENDS_AT] = absolute_end(store_of(request).clock(), request.app.state.settings,
                                            token_expiry).timestamp()


async def end(request: Request) -> None:
    """Sign out: the session is ended on the server, so a copy of the cookie opens nothing."""
    session_id = get_session_id(request)
    if session_id:
        await store_of(request).remove(session_id)
    request.session.clear()  # and the middleware expires the cookie


async def sign_in_again(request: Request, _: Exception) -> Response:
    """A service refused the person's token (expired or revoked): their session ends and they sign in again."""
    await end(request)
    return RedirectResponse("/sign-in", status_code=303)
