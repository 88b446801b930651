"""What the portal's pages show (issue 12, items 7 and 8), with the real intake and worklists APIs behind the portal on
one migrated SQLite database: a held request's page shows its service's worker nothing about the child until MASH
releases it, and a referrer's page of their referral shows nothing of another referrer's referrals."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from schemas import ServiceRequestCreated
from schemas.labels import LONDON
from services.common.settings import Settings
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.intake.referrals import disclosure
from services.portal.main import create_app as portal_app
from services.worklists.handlers import decide_held, receive
from services.worklists.main import create_app as worklists_app
from services.worklists.views import MASH_DECIDES_FIRST
from tests.handlers.conftest import NOW, principal
from tests.handlers.test_referrer_view import refer

BASE = "http://portal.test"
DISCLOSURE = "She told her teacher about what happens at home"
GIVEN, FAMILY = "Quillon", "Zephyrine-Marchbank"


class Services(httpx.AsyncBaseTransport):
    """The services as the portal reaches them (by port), each app in-process on the same database."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.apps = {settings.intake_port: httpx.ASGITransport(app=intake_app(settings, engine=engine)),
                     settings.worklists_port: httpx.ASGITransport(app=worklists_app(settings, engine=engine)),
                     settings.dsr_port: httpx.ASGITransport(app=dsr_app(settings, engine=engine))}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.apps[request.url.port].handle_async_request(request)  # type: ignore[index]


@pytest.fixture
async def portal(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = portal_app(settings, engine=engine, transport=Services(settings, engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, user: str) -> None:
    form = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    data = {"user": user} | ({"csrf_token": token.group(1)} if token else {})
    assert (await client.post("/sign-in", data=data)).status_code == 303


def held_request(session: Session, referral_id: uuid.UUID) -> ServiceRequestCreated:
    event = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=uuid.uuid4(), referral_id=referral_id,
        child_id=uuid.uuid4(), service="semh", pathway="camhs", priority="urgent", due_by=NOW, held=True,
        reasons=[{"rule_id": "safeguarding.mash", "because": "A disclosure of harm goes to MASH first."}],
        details={"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "2014-02-27", "reason": DISCLOSURE},
    )
    assert receive(session, event, NOW)
    session.commit()
    return event


async def test_a_held_requests_pages_show_its_worker_nothing_about_the_child_until_mash_releases_it(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    event = held_request(session, uuid.uuid4())
    await sign_in(portal, "worker-semh")
    pages: dict[str, Any] = {path: await portal.get(path) for path in
                             ("/work/semh", f"/work/semh/{event.service_request_id}")}
    for path, page in pages.items():
        assert page.status_code == 200, path
        for secret in (GIVEN, FAMILY, "27 February 2014", "told her teacher", "disclosure", "Camhs", "CAMHS"):
            assert secret not in page.text, (path, secret)
    assert str(event.service_request_id)[:8] in pages["/work/semh"].text  # it exists, with its priority
    assert "Held for MASH" in pages["/work/semh"].text and "Urgent" in pages["/work/semh"].text
    assert MASH_DECIDES_FIRST.split(",")[0] in pages[f"/work/semh/{event.service_request_id}"].text
    decide_held(session, event.referral_id, "release", by="mash-1", now=NOW, reason="Safe to go ahead")
    session.commit()
    released = await portal.get(f"/work/semh/{event.service_request_id}")
    assert GIVEN in released.text and "told her teacher" in released.text


async def test_a_referrers_page_shows_nothing_of_another_referrers_referrals(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    mash = principal("mash-hub", "referrer")
    firsts = [refer(session, mash, 0, client_reference="mash-1"), refer(session, mash, 1, client_reference="mash-2")]
    mine = refer(session, principal("senco-seaview", "referrer"), 2, client_reference="school-1")
    await sign_in(portal, "senco-seaview")
    pages = [await portal.get(path) for path in ("/referrals", f"/referrals/{mine.id}")]
    for page in pages:
        assert page.status_code == 200
        for other in firsts:
            assert str(other.id)[:8].upper() not in page.text and str(other.id) not in page.text
        for hint in ("earlier referral", "repeat referral", "2 earlier"):
            assert hint not in page.text
    assert disclosure.HISTORY_WORDS in pages[1].text


async def test_an_emergency_request_on_the_worklist_shows_its_due_time_not_only_its_day(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    """Issue 20, item 3: an emergency is due within hours, so its worker sees the time ("by 3:40pm today")."""
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    due += timedelta(minutes=1) if due.astimezone(LONDON).minute == 0 else timedelta()  # not "midday"/"midnight"
    event = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=uuid.uuid4(), referral_id=uuid.uuid4(),
        child_id=uuid.uuid4(), service="semh", pathway="crisis", priority="emergency", due_by=due, held=False,
        reasons=[{"rule_id": "semh.emergency", "because": "A suicide plan."}], details={"given_name": GIVEN})
    assert receive(session, event, NOW)
    session.commit()
    await sign_in(portal, "worker-semh")
    page = (await portal.get("/work/semh")).text
    local = due.astimezone(LONDON)
    time = f"{local:%I}".lstrip("0") + (f":{local:%M}" if local.minute else "") + f"{local:%p}".lower()
    assert time in page, time
