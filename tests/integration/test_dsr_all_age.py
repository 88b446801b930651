"""Issue 14's register, done when: on the real (embedded) broker and PostgreSQL, a 40-year-old added directly
gets one entry on the CTR track and `dsr.entry_created` with source `direct`; the same NHS number added again is
a note on the open entry with an escalation suggestion, still one entry; a children's referral (submitted through
intake, triaged) about an 18-year-old already added directly is noted on that entry, not a second one; the
CSV return shows the age band; and no log line holds the person's details."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_DSR_CHANGES
from services.common.db import make_engine
from services.common.logging import configure_logging
from services.common.settings import Settings
from services.dsr.tables import DsrEntry, DsrTimelineItem
from tests.factories import referral_body
from tests.handlers.test_dsr import nhs_number_of
from tests.integration.test_dsr import Dsr, panel
from tests.kafka_tools import eventually, read_events
from tests.stack import Stack

pytestmark = pytest.mark.integration
LOGS = io.StringIO()
TODAY = date.today()


@pytest.fixture(scope="module")
async def running(settings: Settings, topics: dict[str, int]) -> AsyncIterator[tuple[Stack, Dsr]]:
    """Intake and triage (the children's referral) and the register, each with its consumers and relay."""
    configure_logging(level="INFO", fmt="json", stream=LOGS)
    stack, dsr = Stack(settings), Dsr(settings)
    await asyncio.gather(stack.start(), dsr.start())  # each pays its consumer groups' joins: at once
    yield stack, dsr
    await dsr.stop()
    await stack.stop()


def someone() -> dict[str, str]:
    """A person of this test's own (no other test's entry matches them)."""
    key = uuid.uuid4()
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in key.hex[:8])
    return {"nhs_number": nhs_number_of(key), "given_name": "Robin", "family_name": "Q" + letters}


def addition(who: dict[str, str], years: int, **changes: Any) -> dict[str, Any]:
    return who | {
        "date_of_birth": date(TODAY.year - years, 1, 1).isoformat(), "diagnoses": ["autism"],
        "risks": ["mh_admission_risk"], "consent": "given", "consent_given_by": "The person",
        "referring_agency": "Adult social care", "referrer_contact": "01632 960000",
        "reason": "Placement at risk after two crises this month", "current_setting": "community",
    } | changes


def entries_of(settings: Settings, nhs_number: str) -> list[DsrEntry]:
    with Session(make_engine(settings.database_url)) as s:
        return list(s.exec(select(DsrEntry).where(col(DsrEntry.nhs_number) == nhs_number)).all())


def kinds(settings: Settings, entry_id: str) -> list[str]:
    with Session(make_engine(settings.database_url)) as s:
        query = select(DsrTimelineItem).where(DsrTimelineItem.entry_id == uuid.UUID(entry_id))
        return [t.kind for t in s.exec(query.order_by(col(DsrTimelineItem.id))).all()]


async def changes_of(settings: Settings, entry_id: str, count: int) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]] | None:
        events = await read_events(settings.kafka_bootstrap_servers, TOPIC_DSR_CHANGES)
        mine = [e for e in events if e["entry_id"] == entry_id]
        return mine if len(mine) >= count else None

    return list(await eventually(read, timeout=30))


async def test_an_adult_added_directly_then_again_has_one_entry_on_the_ctr_track(
        running: tuple[Stack, Dsr], settings: Settings) -> None:
    _, dsr = running
    who = someone()
    referrer = panel(settings, "dsr_referrer")
    async with dsr.client() as client:
        first = await client.post("/dsr/entries", json=addition(who, 40), headers=referrer)
        assert first.status_code == 201, first.text
        made = first.json()
        assert (made["outcome"], made["review_track"], made["age_band"], made["suggested_rating"]) == (
            "created", "CTR", "26+", "amber")
        [created] = await changes_of(settings, made["entry_id"], 1)
        assert (created["event_type"], created["source"]) == ("dsr.entry_created", "direct")

        higher = addition(who, 40, risks=["mh_admission_risk", "suicide_plan_or_intent"],
                          referring_agency="Community mental health team")
        again = await client.post("/dsr/entries", json=higher, headers=panel(settings))
        assert again.status_code == 200, again.text
        assert again.json() | {"status": None} == {
            "entry_id": made["entry_id"], "outcome": "noted", "review_track": "CTR", "age_band": "26+",
            "status": None, "suggested_rating": "red", "escalation_suggested": True}
        view = (await client.get(f"/dsr/entries/{made['entry_id']}", headers=panel(settings))).json()
    assert [t["kind"] for t in view["timeline"]] == ["direct", "direct"]
    assert view["escalation_suggested"] is True and view["review_track"] == "CTR"
    [entry] = entries_of(settings, who["nhs_number"])
    assert entry.source == "direct"
    noted = await changes_of(settings, made["entry_id"], 2)
    assert [e["event_type"] for e in noted] == ["dsr.entry_created", "dsr.candidate_noted"]


async def test_a_childrens_referral_about_an_18_year_old_on_the_register_is_noted_on_their_entry(
        running: tuple[Stack, Dsr], settings: Settings) -> None:
    stack, dsr = running
    who = someone()
    async with dsr.client() as client:
        added = await client.post("/dsr/entries", json=addition(who, 18), headers=panel(settings, "dsr_referrer"))
    assert added.status_code == 201, added.text
    entry_id = added.json()["entry_id"]
    body = referral_body(child__given_name=who["given_name"], child__family_name=who["family_name"],
                         child__nhs_number=who["nhs_number"], child__date_of_birth=addition(who, 18)["date_of_birth"],
                         child__diagnoses=["autism"], concerns=["anxiety"],
                         risks=["mh_admission_risk", "self_harm_recent"])
    submitted = await stack.submit(body)
    assert submitted.status_code in (201, 202), submitted.text

    def noted() -> list[str] | None:
        lines = kinds(settings, entry_id)
        return lines if "referral" in lines else None

    assert await eventually(noted, timeout=60) == ["direct", "linked", "referral"]
    [entry] = entries_of(settings, who["nhs_number"])  # noted, not a second entry
    assert str(entry.id) == entry_id and entry.source == "direct"
    assert (entry.suggested_rating, entry.escalation_suggested) == ("red", True)
    assert str(entry.child_id) == (await stack.view(submitted.json()["referral_id"]))["child_id"]

    async with dsr.client() as client:
        export = await client.get("/dsr/export.csv", headers=panel(settings))
    rows = {r["entry_id"]: r for r in csv.DictReader(io.StringIO(export.text))}
    assert (rows[entry_id]["age_band"], rows[entry_id]["source"], rows[entry_id]["review_track"]) == (
        "18-25", "direct", "CTR")


def test_no_log_line_holds_the_persons_details(running: tuple[Stack, Dsr]) -> None:
    text = LOGS.getvalue()
    assert "http request" in text
    assert "Robin" not in text and "01632 960000" not in text and "Placement at risk" not in text
