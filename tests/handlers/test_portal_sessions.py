"""Portal sessions, kept on the server (services/portal/sessions.py), signed in as on a laptop (AUTH_MODE=dev)
through the sign-in form: the cookie is only an id; sign-out ends the session so a replayed cookie opens
nothing; the idle timeout and the absolute limit end it (the clock is moved on, nobody sleeps); a token the
services refuse sends the person to sign in again. The OIDC side is in tests/unit/test_portal_oidc.py."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.db import session_scope
from services.common.settings import Settings
from services.portal import drafts, sessions
from services.portal.main import create_app
from services.portal.sessions import ENDS_AT, DatabaseStore, PortalSession
from tests.handlers.conftest import NOW

PORTAL = "http://127.0.0.1:8080"  # the dev portal's own address (settings.portal_url)


class Backend:
    """The services' APIs: empty lists, or 401 once the person's token is refused."""

    def __init__(self) -> None:
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.status != 200:
            return httpx.Response(self.status, json={"title": "invalid or expired token"})
        return httpx.Response(200, json=[])


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def portal(engine: Engine, backend: Backend, clock: Clock, **settings: Any) -> Any:
    app = create_app(Settings(auth_mode="dev", **settings), engine=engine, transport=httpx.MockTransport(backend))
    app.state.session_store.clock = clock
    return app


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(engine: Engine, backend: Backend, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal(engine, backend, clock)),
                                 base_url=PORTAL) as c:
        yield c


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else ""


async def sign_in(client: httpx.AsyncClient, who: str) -> httpx.Response:
    page = await client.get("/sign-in")
    return await client.post("/sign-in", data={"user": who, "csrf_token": csrf_token(page.text)},
                             headers={"Origin": PORTAL})


async def sign_out(client: httpx.AsyncClient, from_page: str) -> httpx.Response:
    page = await client.get(from_page)
    return await client.post("/sign-out", data={"csrf_token": csrf_token(page.text)}, headers={"Origin": PORTAL})


def to_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"] == "/sign-in"


async def test_the_cookie_is_a_random_id_and_sign_in_issues_a_new_one(client: httpx.AsyncClient) -> None:
    await client.get("/sign-in")  # a session may begin before sign-in (the form's token)
    before = client.cookies.get("frontdoor_portal")
    signed_in = await sign_in(client, "senco-seaview")
    assert signed_in.headers["location"] == "/referrals"
    value = client.cookies["frontdoor_portal"]
    assert re.fullmatch(r"[0-9a-f]{32}", value) and value != before  # no session fixation
    for part in value.split("."):  # the old cookie was base64 JSON naming the person, then a signature
        try:
            decoded = base64.b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        assert b"senco-seaview" not in decoded and b"user" not in decoded
    flags = [f.strip().lower() for f in signed_in.headers["set-cookie"].split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags  # dev: plain http on a laptop


async def test_a_replayed_cookie_after_sign_out_opens_nothing(client: httpx.AsyncClient, engine: Engine) -> None:
    """The issue's reproduction: sign in as the DSR chair, keep a copy of the cookie, sign out, replay it."""
    await sign_in(client, "dsr-chair")
    assert (await client.get("/dsr")).status_code == 200
    copy = client.cookies["frontdoor_portal"]
    out = await sign_out(client, "/dsr")
    assert to_sign_in(out)
    client.cookies.set("frontdoor_portal", copy, domain="127.0.0.1")
    assert to_sign_in(await client.get("/dsr"))  # was 200 with the signed cookie
    with Session(engine) as db:  # nothing of anyone's session is left on the server
        assert {row.data for row in db.exec(select(PortalSession))} == {"{}"}


async def test_a_session_unused_for_the_idle_timeout_ends_and_the_draft_is_kept(
    client: httpx.AsyncClient, clock: Clock, engine: Engine,
) -> None:
    await sign_in(client, "senco-seaview")
    with session_scope(engine) as db:
        drafts.save(db, "senco-seaview", {"child.given_name": "Mollie"})
    for _ in range(3):  # in use every 29 minutes: still signed in after an hour and a half
        clock.move(minutes=29)
        assert (await client.get("/referrals")).status_code == 200
    clock.move(minutes=30)  # the default idle timeout
    assert to_sign_in(await client.get("/referrals/new/check"))
    await sign_in(client, "senco-seaview")
    assert "Mollie" in (await client.get("/referrals/new/check")).text  # the draft waited for them


async def test_a_session_ends_at_its_absolute_limit_however_busy(engine: Engine, backend: Backend,
                                                                 clock: Clock) -> None:
    app = portal(engine, backend, clock, session_absolute_hours=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PORTAL) as client:
        await sign_in(client, "senco-seaview")
        for _ in range(5):
            clock.move(minutes=11)
            assert (await client.get("/referrals")).status_code == 200
        clock.move(minutes=5)  # an hour after signing in
        assert to_sign_in(await client.get("/referrals"))


async def test_a_refused_token_sends_the_person_to_sign_in_never_a_500(client: httpx.AsyncClient,
                                                                      backend: Backend) -> None:
    await sign_in(client, "senco-seaview")
    backend.status = 401  # expired or revoked
    assert to_sign_in(await client.get("/referrals"))  # was a 500
    backend.status = 200
    assert to_sign_in(await client.get("/referrals"))  # the session ended with it


@pytest.mark.parametrize(("mode", "setting", "secure"), [
    ("dev", None, False), ("oidc", None, True), ("oidc", False, False), ("dev", True, True),
])
def test_the_cookie_is_secure_unless_dev(mode: str, setting: bool | None, secure: bool) -> None:
    assert sessions.cookie_secure(Settings(auth_mode=mode, session_cookie_secure=setting)) is secure


async def test_the_secure_flag_reaches_the_cookie(engine: Engine, backend: Backend, clock: Clock) -> None:
    app = portal(engine, backend, clock, session_cookie_secure=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://portal") as client:
        page = await client.get("/sign-in")
        signed_in = await client.post("/sign-in", data={"user": "hv-east", "csrf_token": csrf_token(page.text)},
                                      headers={"Origin": "https://portal"})
        assert "secure" in [f.strip().lower() for f in signed_in.headers["set-cookie"].split(";")]


async def test_a_late_write_never_brings_an_ended_session_back(engine: Engine) -> None:
    store = DatabaseStore(engine, Settings(), clock=lambda: NOW)
    signed_in = b'{"user": "dsr-chair", "%s": %d}' % (ENDS_AT.encode(), int((NOW + timedelta(hours=1)).timestamp()))
    sid = await store.write("a" * 32, signed_in, 0, 0)
    assert await store.read(sid, 0) == signed_in
    await store.remove(sid)  # signed out while another request of that session was still being answered
    assert await store.write(sid, signed_in, 0, 0) == sid  # that request's answer saves the session again...
    assert await store.read(sid, 0) == b""  # ...and it stays ended
    fresh = await store.write(sid, b'{"csrf_token": "t"}', 0, 0)  # the same browser, signed out, starts again
    assert fresh != sid and await store.read(fresh, 0) == b'{"csrf_token": "t"}'


def test_absolute_end_is_the_sooner_of_the_limit_and_the_token_expiry() -> None:
    settings = Settings(session_absolute_hours=10)
    assert sessions.absolute_end(NOW, settings) == NOW + timedelta(hours=10)
    expiry = (NOW + timedelta(minutes=5)).timestamp()
    assert sessions.absolute_end(NOW, settings, expiry) == datetime.fromtimestamp(expiry, timezone.utc)


async def test_ended_sessions_are_purged_a_day_later(engine: Engine) -> None:
    clock = Clock()
    store = DatabaseStore(engine, Settings(), clock=clock)
    old = await store.write("b" * 32, b'{"user": "hv-east"}', 0, 0)
    await store.remove(old)
    clock.move(hours=23)
    await store.write("c" * 32, b'{"user": "hv-east"}', 0, 0)  # a sign-in tidies up
    with Session(engine) as db:
        assert len(db.exec(select(PortalSession)).all()) == 2  # the ended one is kept (no late write revives it)
    clock.move(hours=2)
    await store.write("d" * 32, b'{"user": "hv-east"}', 0, 0)
    with Session(engine) as db:
        assert len(db.exec(select(PortalSession)).all()) == 2  # then "b" goes; "c" (idle 2 hours) waits its day
