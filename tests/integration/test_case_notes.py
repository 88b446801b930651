"""Case notes on the real (embedded) broker and the real database (issue 23, item 4): notes on a front-door referral,
on its service request and on the child's register entry, each sent twice as a double submit would, are published
exactly once each (the invariant checker's NOTES: 0 lost, 0 duplicated); a note stored without its event is found
lost (the check can fail)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, delete, select

from services.common.auth import mint_dev_token
from services.common.db import make_engine
from services.common.ids import derived_id
from services.common.settings import Settings
from services.common.tables import OutboxMessage
from services.dsr.tables import DsrEntry
from services.intake.tables import ReferralNote, ReferralRecord
from tests.cases import SHARED_CASES, load
from tests.factories import CANARY_FAMILY
from tests.integration.test_dsr import Dsr
from tests.integration.test_worklists import on_worklist
from tests.invariants import check
from tests.kafka_tools import eventually
from tests.stack import Stack

pytestmark = pytest.mark.integration
REFERRER = "notes-referrer"


@pytest.fixture(scope="module")
async def stack(settings: Settings, topics: dict[str, int]) -> AsyncIterator[tuple[Stack, Dsr]]:
    running, register = Stack(settings), Dsr(settings)
    await running.start(worklists=True)
    await register.start()
    yield running, register
    await register.stop()
    await running.stop()


def as_(settings: Settings, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=f'{role}-notes', roles=[role], name='N')}"}


def candidate() -> dict[str, Any]:
    """A referral the rules route and put forward for the register (the worked case dsr-red), about a new child."""
    body = dict(load(SHARED_CASES / "dsr-red.json")["event"]["referral"])
    body["child"] = body["child"] | {"family_name": f"{CANARY_FAMILY}-{uuid.uuid4().hex[:10]}"}
    return body


async def twice(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    body = {"text": "A note, sent twice as a double click sends it", "key": str(uuid.uuid4())}
    answers = [await client.post(path, json=body, headers=headers) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200], [a.text for a in answers]


def entry_of(settings: Settings, referral_id: str) -> DsrEntry | None:
    with Session(make_engine(settings.database_url)) as s:
        record = s.get(ReferralRecord, uuid.UUID(referral_id))
        assert record is not None
        return s.exec(select(DsrEntry).where(col(DsrEntry.child_id) == record.child_id)).first()


async def test_every_note_is_published_once_and_a_note_without_its_event_is_lost(
        stack: tuple[Stack, Dsr], settings: Settings) -> None:
    running, register = stack
    assert running.client is not None
    submitted = await running.submit(candidate(), subject=REFERRER)
    assert submitted.status_code == 201, submitted.text
    rid = str(submitted.json()["referral_id"])
    view = await eventually(lambda: _decided(running, rid), timeout=60)
    service = next(r["service"] for r in view["service_requests"] if not r.get("held"))
    item = await on_worklist(running, service, rid)
    entry = await eventually(lambda: entry_of(settings, rid), timeout=40)

    await twice(running.client, f"/front-door/referrals/{rid}/notes", as_(settings, "front_door"))
    await twice(running.workers, f"/worklists/{service}/requests/{item['service_request_id']}/notes",
                as_(settings, f"worker:{service}"))
    async with register.client() as dsr:
        await twice(dsr, f"/dsr/entries/{entry.id}/notes", as_(settings, "dsr_panel"))

    async def checked() -> Any:
        report = await check(settings.kafka_bootstrap_servers, settings.database_url, {rid})
        return report if report.ok else None

    report = await eventually(checked, timeout=60)
    assert report.work["case notes"] == 3, report.explain()

    # A note whose event never left the outbox (its row gone): the checker finds it lost.
    note_id = uuid.uuid4()
    with Session(make_engine(settings.database_url)) as s:
        note = ReferralNote(id=note_id, client_key=uuid.uuid4(), by="x", team="front_door", at=entry.created_at,
                            text="Stored, never announced", referral_id=uuid.UUID(rid))
        s.add(note)
        s.commit()
        s.execute(delete(OutboxMessage).where(col(OutboxMessage.id) == derived_id(note_id, "note_added")))
        s.commit()
    lost = await check(settings.kafka_bootstrap_servers, settings.database_url, {rid})
    assert [p for p in lost.lost if "case notes" in p] == [
        f"case notes: note {derived_id(note_id, 'note_added')} of {rid} stored, never published"], lost.explain()


async def _decided(running: Stack, rid: str) -> dict[str, Any] | None:
    view = await running.view(rid, subject=REFERRER)
    return view if view["decision"] and view["service_requests"] else None
