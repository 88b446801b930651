"""A merge of two child records reaches the worklists and the register on the real broker and database:
intake, triage, the worklists and the register run in this process; two referrals about one child under
two records (each a register candidate) are merged on the front door and the merge undone. The merged
child's requests and register entry follow the merge to the survivor (both entries stay open, their
timelines say so) and come back exactly as they were; the same events delivered again change nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_CHILDREN
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.tables import ProcessedEvent
from services.dsr.tables import DsrEntry, DsrTimelineItem
from services.worklists.tables import WorklistItem
from tests.factories import referral_body
from tests.integration.test_children import family, front_door
from tests.integration.test_dsr import Dsr, panel
from tests.kafka_tools import eventually, lag, produce_raw, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
FOLLOWERS = ["dsr.children", "worklists.children"]
DSR_RED = {"child__diagnoses": ["autism"], "risks": ["mh_admission_risk", "ae_attendance_mental_health"]}


@pytest.fixture(scope="module")
async def stack(settings: Settings, topics: dict[str, int]) -> AsyncIterator[tuple[Stack, Dsr]]:
    running, dsr = Stack(settings), Dsr(settings)
    await asyncio.gather(running.start(worklists=True), dsr.start())  # each pays its consumer groups' joins: at once
    yield running, dsr
    await dsr.stop()
    await running.stop()


def stored(settings: Settings, query: Any) -> list[Any]:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return list(session.exec(query).all())
    finally:
        engine.dispose()


def snapshot(settings: Settings, referral_ids: list[uuid.UUID], entry_ids: list[uuid.UUID]) -> dict[str, Any]:
    """The worklist rows of these referrals and these register entries, every column."""
    items = stored(settings, select(WorklistItem).where(col(WorklistItem.referral_id).in_(referral_ids)))
    entries = stored(settings, select(DsrEntry).where(col(DsrEntry.id).in_(entry_ids)))
    return {"worklists": sorted((i.model_dump() for i in items), key=lambda r: str(r["id"])),
            "register": sorted((e.model_dump() for e in entries), key=lambda r: str(r["id"]))}


def timeline(settings: Settings, entry_id: uuid.UUID) -> list[tuple[str, str, dict[str, Any]]]:
    lines = stored(settings, select(DsrTimelineItem).where(DsrTimelineItem.entry_id == entry_id)
                   .order_by(col(DsrTimelineItem.id)))
    return [(t.kind, t.summary, t.detail) for t in lines]


async def referred(stack: Stack, settings: Settings, given: str, name: str) -> tuple[uuid.UUID, uuid.UUID, DsrEntry]:
    """A register-candidate referral (no NHS number); (referral id, child id, its register entry) once it
    is on the register and its requests on their worklists."""
    response = await stack.submit(referral_body(child__nhs_number=..., child__given_name=given,
                                                child__family_name=name, **DSR_RED))
    assert response.status_code == 201
    referral, child = uuid.UUID(response.json()["referral_id"]), uuid.UUID(response.json()["child_id"])

    async def decision() -> dict[str, Any] | None:
        return (await stack.view(str(referral)))["decision"]

    # every request of the decision on its worklist: each service's queue has a consumer of its own, so they land
    # one by one (waiting for the first alone let a snapshot miss the others on a loaded machine)
    wanted = len((await eventually(decision, timeout=60))["routes"])
    await eventually(lambda: wanted and len(stored(settings, select(WorklistItem).where(
        WorklistItem.referral_id == referral))) == wanted, timeout=60)
    [entry] = await eventually(lambda: stored(settings, select(DsrEntry).where(DsrEntry.child_id == child)),
                               timeout=60)
    return referral, child, entry


async def test_the_worklists_and_the_register_follow_a_merge_and_its_undo_exactly(
        stack: tuple[Stack, Dsr], settings: Settings) -> None:
    intake, dsr = stack
    assert intake.client is not None
    name = family()
    first, survivor, kept = await referred(intake, settings, "Robin", name)
    second, merged, moved = await referred(intake, settings, "Robni", name)
    assert survivor != merged and kept.status == moved.status == "pending_review"
    referrals, entries = [first, second], [kept.id, moved.id]
    before = snapshot(settings, referrals, entries)
    assert {(i["referral_id"], i["child_id"]) for i in before["worklists"]} == {(first, survivor), (second, merged)}

    body = {"survivor_id": str(survivor), "merged_id": str(merged), "reason": "Same child: the name was mistyped"}
    response = await intake.client.post("/front-door/duplicates/merge", json=body, headers=front_door(intake))
    assert response.status_code == 201
    merge = response.json()

    def followed() -> dict[str, Any] | None:
        now = snapshot(settings, referrals, entries)
        everything = now["worklists"] + now["register"]
        return now if everything and all(r["child_id"] == survivor for r in everything) else None

    during = await eventually(followed, timeout=30)
    strip = {"child_id": None}  # only the child changed
    assert [r | strip for r in during["worklists"]] == [r | strip for r in before["worklists"]]
    assert [r | strip for r in during["register"]] == [r | strip for r in before["register"]]
    assert {e["status"] for e in during["register"]} == {"pending_review"}  # both stay open
    [(kind, summary, detail)] = [line for line in timeline(settings, moved.id) if line[0] == "merged"]
    assert detail == {"merge_id": merge["merge_id"], "from_child": str(merged), "to_child": str(survivor)}
    assert "both stay open until the DSR meeting decides which one to close" in summary
    async with dsr.client() as client:
        shown = (await client.get(f"/dsr/entries/{kept.id}", headers=panel(settings))).json()
    assert any("merged another record of this child into this one" in t["summary"] for t in shown["timeline"])

    undo = await intake.client.post(merge["links"]["undo"], headers=front_door(intake))
    assert undo.status_code == 200
    assert await eventually(lambda: snapshot(settings, referrals, entries) == before, timeout=30)
    assert [line[0] for line in timeline(settings, moved.id)][-2:] == ["merged", "merge_undone"]

    # the merge and its undo delivered twice more: nothing changes, each applied once by each follower
    records = [r for r in await read_topic(settings.kafka_bootstrap_servers, TOPIC_CHILDREN)
               if merge["merge_id"].encode() in r.value]
    assert len(records) == 2
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_CHILDREN, [(r.key, r.value) for r in records] * 2)

    async def caught_up() -> bool:
        return await lag(settings.kafka_bootstrap_servers, settings.kafka_group_prefix, groups=FOLLOWERS) == 0

    await eventually(caught_up, timeout=30)
    assert snapshot(settings, referrals, entries) == before
    assert [line[0] for line in timeline(settings, moved.id)][-2:] == ["merged", "merge_undone"]
    event_ids = [uuid.UUID(json.loads(r.value)["event_id"]) for r in records]
    processed = stored(settings, select(ProcessedEvent.consumer).where(col(ProcessedEvent.event_id).in_(event_ids)))
    assert sorted(processed) == sorted(FOLLOWERS * 2)
