"""Duplicate children end to end on the real broker and database: two referrals about the same child
under two records are flagged, reviewed on the front door, merged (child.merged on frontdoor.children)
and unmerged with every row back exactly as it was; "different children" are never flagged again; only
the front_door role reaches these endpoints."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import Session, col, or_, select

from schemas import TOPIC_CHILDREN
from services.common.db import make_engine
from services.common.settings import Settings
from services.intake.tables import Child, ReferralRecord, ServiceRequestRecord, TimelineItem
from tests.factories import referral_body
from tests.kafka_tools import eventually, read_events
from tests.stack import Stack

pytestmark = pytest.mark.integration
OTHER_ROLES = ("referrer", "admin", "manager", "dsr_panel", "worker:salt")


@pytest.fixture(scope="module")
async def stack(settings: Settings, topics: dict[str, int]) -> AsyncIterator[Stack]:
    running = Stack(settings)
    await running.start()
    yield running
    await running.stop()


def front_door(stack: Stack, role: str = "front_door") -> dict[str, str]:
    return stack.headers(subject="fd-practitioner", role=role)


def family() -> str:
    """A family name of this test's own (the database is shared by the whole run)."""
    return "Dup" + "".join(random.choices(string.ascii_lowercase, k=10))


async def referred(stack: Stack, given: str, family_name: str) -> tuple[str, str]:
    """Submit a referral (no NHS number) and wait for its decision; (referral id, child id)."""
    response = await stack.submit(referral_body(child__nhs_number=..., child__given_name=given,
                                                child__family_name=family_name))
    assert response.status_code == 201
    referral_id, child_id = response.json()["referral_id"], response.json()["child_id"]

    async def decided() -> bool:
        view = await stack.view(referral_id)
        return view["status"] == "decided" and bool(view["service_requests"])

    await eventually(decided, timeout=60)
    return referral_id, child_id


def rows(stack: Stack, child_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every stored row of these children (and of their referrals), by table."""
    ids = [uuid.UUID(c) for c in child_ids]
    engine = make_engine(stack.settings.database_url)
    try:
        with Session(engine) as session:
            referrals = session.exec(select(ReferralRecord).where(col(ReferralRecord.child_id).in_(ids))).all()
            referral_ids = [r.id for r in referrals]
            found: dict[str, list[Any]] = {
                "children": list(session.exec(select(Child).where(col(Child.id).in_(ids))).all()),
                "referrals": list(referrals),
                "service_requests": list(session.exec(select(ServiceRequestRecord).where(or_(
                    col(ServiceRequestRecord.child_id).in_(ids),
                    col(ServiceRequestRecord.referral_id).in_(referral_ids)))).all()),
                "child_timeline": list(session.exec(select(TimelineItem).where(or_(
                    col(TimelineItem.child_id).in_(ids), col(TimelineItem.referral_id).in_(referral_ids)))).all()),
            }
            return {name: sorted((r.model_dump() for r in found[name]), key=lambda d: str(d["id"])) for name in found}
    finally:
        engine.dispose()


async def pairs(stack: Stack) -> list[dict[str, Any]]:
    assert stack.client is not None
    response = await stack.client.get("/front-door/duplicates", headers=front_door(stack))
    assert response.status_code == 200
    return list(response.json())


def pair_of(shown: list[dict[str, Any]], a: str, b: str) -> list[dict[str, Any]]:
    return [p for p in shown if {p["child_a"]["child_id"], p["child_b"]["child_id"]} == {a, b}]


async def test_a_merge_relinks_everything_and_its_undo_restores_every_row_exactly(stack: Stack) -> None:
    client, name = stack.client, family()
    assert client is not None
    first, survivor = await referred(stack, "Robin", name)
    second, merged = await referred(stack, "Robni", name)
    assert survivor != merged
    [shown] = pair_of(await pairs(stack), survivor, merged)
    assert shown["matched"] == ["a similar name", "the same date of birth", "the same postcode"]
    assert shown["flagged_by"] == [second]
    before = rows(stack, [survivor, merged])

    merge_url = "/front-door/duplicates/merge"
    body = {"survivor_id": survivor, "merged_id": merged, "reason": "Same child: the name was mistyped"}
    too_short = await client.post(merge_url, json=body | {"reason": "same"}, headers=front_door(stack))
    itself = await client.post(merge_url, json=body | {"merged_id": survivor}, headers=front_door(stack))
    assert (too_short.status_code, [e["field"] for e in too_short.json()["errors"]]) == (422, ["reason"])
    assert (itself.status_code, itself.json()["title"]) == (409, "A child record cannot be merged with itself")
    response = await client.post(merge_url, json=body, headers=front_door(stack))
    assert response.status_code == 201
    merge = response.json()
    assert (merge["survivor_id"], merge["merged_id"], merge["by"], merge["undone_at"]) == (
        survivor, merged, "fd-practitioner", None)
    assert merge["moved"]["referrals"] == 1 and merge["moved"]["service_requests"] >= 1
    again = await client.post(merge_url, json=body, headers=front_door(stack))
    assert (again.status_code, again.json()["title"]) == (
        409, "One of these child records was already merged into another")

    during = rows(stack, [survivor, merged])
    assert {r["id"]: r["child_id"] for r in during["referrals"]} == {
        uuid.UUID(first): uuid.UUID(survivor), uuid.UUID(second): uuid.UUID(survivor)}
    assert {r["child_id"] for t in ("service_requests", "child_timeline") for r in during[t]} == {uuid.UUID(survivor)}
    assert pair_of(await pairs(stack), survivor, merged) == []
    assert (await stack.view(second))["child_id"] == survivor

    async def published(event_type: str) -> list[dict[str, Any]]:
        return [e for e in await read_events(stack.settings.kafka_bootstrap_servers, TOPIC_CHILDREN)
                if e["event_type"] == event_type and e["merge_id"] == merge["merge_id"]]

    [merged_event] = await eventually(lambda: published("child.merged"), timeout=30)
    assert (merged_event["survivor_id"], merged_event["merged_id"], merged_event["referral_ids"]) == (
        survivor, merged, [second])

    undo = await client.post(merge["links"]["undo"], headers=front_door(stack, "front_door"))
    assert undo.status_code == 200 and undo.json()["undone_by"] == "fd-practitioner"
    assert rows(stack, [survivor, merged]) == before  # every link, and the flag, exactly as they were
    twice = await client.post(merge["links"]["undo"], headers=front_door(stack))
    assert (twice.status_code, twice.json()["title"]) == (409, "This merge was already undone")
    [unmerged_event] = await eventually(lambda: published("child.unmerged"), timeout=30)
    assert unmerged_event["referral_ids"] == [second]
    assert sorted(unmerged_event["service_request_ids"]) == sorted(merged_event["service_request_ids"])
    assert len(pair_of(await pairs(stack), survivor, merged)) == 1  # to be decided again


async def test_a_later_referral_about_the_merged_record_lands_on_the_survivor(stack: Stack) -> None:
    client, name = stack.client, family()
    assert client is not None
    _, survivor = await referred(stack, "Robin", name)
    _, merged = await referred(stack, "Robni", name)
    body = {"survivor_id": survivor, "merged_id": merged, "reason": "Same child: the name was mistyped"}
    assert (await client.post("/front-door/duplicates/merge", json=body, headers=front_door(stack))).status_code == 201
    later, child = await referred(stack, "Robni", name)
    assert child == survivor and (await stack.view(later))["child_id"] == survivor


async def test_different_children_are_never_flagged_again(stack: Stack) -> None:
    client, name = stack.client, family()
    assert client is not None
    _, a = await referred(stack, "Robin", name)
    _, b = await referred(stack, "Robni", name)
    assert len(pair_of(await pairs(stack), a, b)) == 1
    body = {"child_a": b, "child_b": a, "reason": "Twins at the same address"}
    response = await client.post("/front-door/duplicates/different", json=body, headers=front_door(stack))
    assert response.status_code == 201 and sorted([response.json()["child_a"], response.json()["child_b"]]) == sorted(
        [a, b])
    assert pair_of(await pairs(stack), a, b) == []
    third, again_b = await referred(stack, "Robni", name)
    fourth, again_a = await referred(stack, "Robin", name)
    assert (again_b, again_a) == (b, a)
    flags = {r["id"]: r["possible_duplicates"] for r in rows(stack, [a, b])["referrals"]}
    assert flags[uuid.UUID(third)] == flags[uuid.UUID(fourth)] == [] and all(f == [] for f in flags.values())
    assert pair_of(await pairs(stack), a, b) == []


@pytest.mark.parametrize("role", OTHER_ROLES)
async def test_only_the_front_door_reaches_the_duplicate_children(stack: Stack, role: str) -> None:
    client = stack.client
    assert client is not None
    some = str(uuid.uuid4())
    calls = [("GET", "/front-door/duplicates", None),
             ("POST", "/front-door/duplicates/merge", {"survivor_id": some, "merged_id": some, "reason": "x" * 12}),
             ("POST", f"/front-door/duplicates/merges/{some}/undo", None),
             ("POST", "/front-door/duplicates/different", {"child_a": some, "child_b": some})]
    for method, url, body in calls:
        refused = await client.request(method, url, json=body, headers=front_door(stack, role))
        assert refused.status_code == 403, (role, url)
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, url
    unknown = await client.post(f"/front-door/duplicates/merges/{some}/undo", headers=front_door(stack))
    assert (unknown.status_code, unknown.json()["title"]) == (404, "No such merge")
