"""The front-door queue end to end on the real (embedded) broker and the real database: referrals
the rules could not finish reach a person, emergency contact and chases, the emergency clock with
two racing jobs (exactly one referral.emergency_unanswered each), dead letters (read, replayed by
an administrator, and a queue that still answers without the broker), and who may use all this."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED
from services.common.auth import mint_dev_token
from services.common.db import make_engine, session_scope
from services.common.settings import Settings
from services.common.tables import OutboxMessage
from services.dsr.main import create_app as create_dsr
from services.intake.front_door.handlers import run_emergency_check
from services.intake.main import create_app as create_intake
from services.intake.tables import Child, ReferralRecord
from tests.databases import race_two_replicas
from tests.factories import referral_body
from tests.kafka_tools import eventually, produce_raw, read_events, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
SUBMITTED_DLQ = "frontdoor.referrals.submitted.dlq"
OTHER_ROLES = ("referrer", "worker:salt", "worker:safeguarding", "dsr_panel", "manager")


def as_role(settings: Settings, role: str, subject: str = "fd-practitioner") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=subject, roles=[role])}"}


def client_of(app: FastAPI, base: str = "http://intake") -> httpx.AsyncClient:
    """An app's routes without starting its consumers (the routes need only the database and the broker)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base, timeout=60)


async def decided(stack: Stack, **changes: Any) -> dict[str, Any]:
    response = await stack.submit(referral_body(child__nhs_number=..., **changes))
    assert response.status_code == 201
    rid = response.json()["referral_id"]

    async def check() -> dict[str, Any] | None:
        view = await stack.view(rid)
        return view if view["decision"] else None

    return dict(await eventually(check, timeout=60))


async def queue(stack: Stack, **filters: Any) -> dict[str, Any]:
    response = await stack.client.get("/front-door/queue", params=filters,
                                      headers=as_role(stack.settings, "front_door"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def on_queue(answer: dict[str, Any], referral_id: str) -> list[str]:
    return [i["reason"] for i in answer["items"] if i["referral_id"] == referral_id]


def adjust(settings: Settings, referral_id: str, **values: Any) -> None:
    """Set columns a test needs in the past (or, until intake's decision handler sets it, the emergency clock)."""
    with session_scope(make_engine(settings.database_url)) as session:
        record = session.get(ReferralRecord, uuid.UUID(referral_id))
        assert record is not None
        for field, value in values.items():
            if field != "emergency_due_at" or record.emergency_due_at is None:
                setattr(record, field, value)
        session.add(record)


async def test_a_manual_review_referral_reaches_the_front_door_queue(stack: Stack) -> None:
    view = await decided(stack, concerns=["bullying"], known_services=["camhs"], child__given_name="Morgan")
    assert view["decision"]["outcome"] == "manual_review"
    answer = await queue(stack, reason="manual_review")
    [item] = [i for i in answer["items"] if i["referral_id"] == view["referral_id"]]
    assert (item["child_id"], item["outcome"], item["school"], item["age_band"]) == (
        view["child_id"], "manual_review", "Example Academy", "11-15")
    assert item["clock"]["text"].startswith("A person to decide by ") and item["clock"]["text"].endswith(", 5pm")
    assert item["summary"].startswith("The referral needs a person to decide. Concerns: Bullying.")
    assert answer["counts"]["manual_review"] >= 1 and {i["reason"] for i in answer["items"]} == {"manual_review"}
    assert on_queue(await queue(stack, reason="emergency"), view["referral_id"]) == []
    # A person on the front door reads the whole referral (not theirs), and the read is audited.
    opened = await stack.client.get(f"/front-door/referrals/{view['referral_id']}",
                                    headers=as_role(stack.settings, "front_door"))
    assert opened.status_code == 200
    shown = opened.json()
    assert (shown["referral_id"], shown["decision"]["outcome"]) == (view["referral_id"], "manual_review")


async def test_an_emergency_stays_on_the_queue_until_contact_is_recorded(stack: Stack) -> None:
    view = await decided(stack, risks=["suicide_plan_or_intent"], child__given_name="Jordan")
    rid = view["referral_id"]
    assert view["decision"]["outcome"] == "emergency"
    adjust(stack.settings, rid, emergency_due_at=datetime.fromisoformat(view["decision"]["decided_at"])
           + timedelta(hours=4))
    answer = await queue(stack)
    assert on_queue(answer, rid) == ["emergency"] and answer["items"][0]["reason"] == "emergency"
    fd = as_role(stack.settings, "front_door")
    path = f"/front-door/referrals/{rid}/emergency-contact"
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    refused = await stack.client.post(path, json={"contacted": "MASH duty social worker", "how": "phone",
                                                  "contacted_at": future}, headers=fd)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "contacted_at"
    assert (await stack.client.post(path, json={"contacted": "MASH", "how": "pigeon",
                                                "contacted_at": datetime.now(timezone.utc).isoformat()},
                                    headers=fd)).status_code == 422
    made = await stack.client.post(path, json={"contacted": "MASH duty social worker", "how": "phone",
                                               "contacted_at": datetime.now(timezone.utc).isoformat(),
                                               "note": "Spoke to the duty worker"}, headers=fd)
    assert made.status_code == 201 and made.json()["contact_made_at"]
    assert on_queue(await queue(stack), rid) == []
    referrer_sees = [t["summary"] for t in (await stack.view(rid))["timeline"]]
    assert "The front door recorded emergency contact with MASH duty social worker (by phone)" in referrer_sees
    manual = await decided(stack, concerns=["bullying"], known_services=["camhs"], child__given_name="Riley")
    wrong = await stack.client.post(f"/front-door/referrals/{manual['referral_id']}/emergency-contact", headers=fd,
                                    json={"contacted": "GP", "how": "email",
                                          "contacted_at": datetime.now(timezone.utc).isoformat()})
    assert wrong.status_code == 409 and wrong.json()["title"].startswith("Contact can only be recorded")
    unknown = await stack.client.post(f"/front-door/referrals/{uuid.uuid4()}/chase", json={"how": "phone"},
                                      headers=fd)
    assert unknown.status_code == 404


async def test_a_stalled_request_for_information_is_chased_and_the_referrer_sees_it(stack: Stack) -> None:
    view = await decided(stack, consent={"basis": "none", "child_aware": True}, child__given_name="Sasha")
    rid = view["referral_id"]
    assert view["decision"]["outcome"] == "needs_information"
    assert on_queue(await queue(stack), rid) == []  # asked just now: not stalled yet
    adjust(stack.settings, rid, decided_at=datetime.now(timezone.utc) - timedelta(days=10))
    assert on_queue(await queue(stack, reason="needs_information"), rid) == ["needs_information"]
    fd = as_role(stack.settings, "front_door")
    chased = await stack.client.post(f"/front-door/referrals/{rid}/chase", json={"how": "phone", "note": "Voicemail"},
                                     headers=fd)
    assert chased.status_code == 201 and chased.json()["how"] == "phone"
    [item] = [i for i in (await queue(stack))["items"] if i["referral_id"] == rid]
    assert item["last_chase"]["how"] == "phone" and "last chased by phone" in item["clock"]["text"]
    referrer_sees = [t["summary"] for t in (await stack.view(rid))["timeline"]]
    assert "The front door contacted you about the missing information (phone)" in referrer_sees
    manual = await decided(stack, concerns=["bullying"], known_services=["camhs"], child__given_name="Quinn")
    wrong = await stack.client.post(f"/front-door/referrals/{manual['referral_id']}/chase", json={"how": "email"},
                                    headers=fd)
    assert wrong.status_code == 409


async def test_an_unanswered_emergency_is_announced_exactly_once_with_two_clock_jobs(stack: Stack,
                                                                                    settings: Settings) -> None:
    now = datetime.now(timezone.utc)
    ids = [uuid.uuid4() for _ in range(5)]
    answered = uuid.uuid4()
    with session_scope(make_engine(settings.database_url)) as session:
        for n, referral_id in enumerate([*ids, answered]):
            child = Child(id=uuid.uuid4(), given_key=f"clock{n}", family_key="test", date_of_birth=now.date(),
                          postcode_key="SS73QZ", created_at=now)
            session.add(child)
            session.flush()
            session.add(ReferralRecord(
                id=referral_id, child_id=child.id, submitted_by="clock-test", submitted_at=now - timedelta(hours=6),
                event_id=uuid.uuid4(), referral=referral_body(), fingerprint="x", matched_on="new", status="decided",
                outcome="emergency", decided_at=now - timedelta(hours=5 + n),
                emergency_due_at=now - timedelta(hours=1 + n),
                contact_made_at=now - timedelta(hours=2) if referral_id == answered else None))

    counts = await race_two_replicas(run_emergency_check, settings.database_url)
    assert sum(counts) >= len(ids)
    with Session(make_engine(settings.database_url)) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_DECISIONS)).all()
        events = [json.loads(r.payload) for r in rows]
        claimed = session.exec(select(ReferralRecord).where(col(ReferralRecord.id).in_([*ids, answered]))).all()
    mine = [e["referral_id"] for e in events
            if e["event_type"] == "referral.emergency_unanswered" and uuid.UUID(e["referral_id"]) in [*ids, answered]]
    assert sorted(mine) == sorted(str(i) for i in ids)  # each exactly once, and none for the answered one
    assert {r.id for r in claimed if r.emergency_unanswered_at is not None} == set(ids)

    async def on_bus() -> list[dict[str, Any]] | None:
        found = [e for e in await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS)
                 if e["event_type"] == "referral.emergency_unanswered" and uuid.UUID(e["referral_id"]) in ids]
        return found if len(found) >= len(ids) else None

    published = await eventually(on_bus, timeout=30)
    assert len(published) == len(ids)


async def test_dead_letters_are_listed_without_content_and_replayed_by_an_administrator(
        settings: Settings, private_broker: str) -> None:
    own = settings.model_copy(update={"kafka_bootstrap_servers": private_broker})
    headers = [("x-error", b"referral.submitted.event_id: missing"), ("x-original-topic", TOPIC_SUBMITTED.encode()),
               ("x-original-partition", b"2"), ("x-original-offset", b"41"), ("x-attempts", b"1")]
    await produce_raw(private_broker, SUBMITTED_DLQ, [(b"child-key", b'{"secret": "Quillon kestrel"}')], headers)
    async with client_of(create_intake(own)) as client:
        listed = await client.get("/front-door/dead-letters", headers=as_role(own, "front_door"))
        assert listed.status_code == 200 and listed.json()["readable"] is True
        [letter] = listed.json()["dead_letters"]
        assert {k: letter[k] for k in ("id", "topic", "original_topic", "error", "failures", "discarded")} == {
            "id": "0:0", "topic": SUBMITTED_DLQ, "original_topic": TOPIC_SUBMITTED,
            "error": "referral.submitted.event_id: missing", "failures": 1, "discarded": None}
        answer = (await client.get("/front-door/queue", headers=as_role(own, "front_door"))).json()
        [item] = [i for i in answer["items"] if i["reason"] == "dead_letter"]
        assert item["dead_letter"]["id"] == "0:0" and answer["counts"]["dead_letter"] == 1
        assert "Quillon" not in json.dumps(answer) and "kestrel" not in listed.text
        assert (await client.get("/front-door/dead-letters", headers=as_role(own, "admin"))).status_code == 200
        replay = {"topic": SUBMITTED_DLQ, "ids": ["0:0"]}
        refused = await client.post("/front-door/dead-letters/replay", json=replay,
                                    headers=as_role(own, "front_door"))
        assert refused.status_code == 403
        bad = await client.post("/front-door/dead-letters/replay", headers=as_role(own, "admin"),
                                json={"topic": "frontdoor.dsr.changes.dlq", "ids": ["0:0"]})
        assert bad.status_code == 422
        done = await client.post("/front-door/dead-letters/replay", json=replay, headers=as_role(own, "admin"))
        assert done.status_code == 200 and done.json() == {"topic": SUBMITTED_DLQ, "asked": 1, "replayed": 1}
        sent_again = (await client.get("/front-door/dead-letters", params={"show": "sent_again"},
                                       headers=as_role(own, "admin"))).json()
        assert [(d["event_id"], d["state"]) for d in sent_again["dead_letters"]] == [(letter["event_id"], "sent_again")]
        assert sent_again["counts"] == {"waiting": 0, "sent_again": 1, "discarded": 0}
        answer = (await client.get("/front-door/queue", headers=as_role(own, "front_door"))).json()
        assert answer["counts"]["dead_letter"] == 0  # sent again: no longer waiting for a person
        # it fails again: a second copy on the dead-letter topic, still one event, then discarded for good
        await produce_raw(private_broker, SUBMITTED_DLQ, [(b"child-key", b'{"secret": "Quillon kestrel"}')],
                          [*headers, ("x-replayed-from", f"{SUBMITTED_DLQ}:0:0".encode())])
        [again] = (await client.get("/front-door/dead-letters", headers=as_role(own, "admin"))).json()["dead_letters"]
        assert (again["event_id"], again["id"], again["failures"], again["state"]) == (
            letter["event_id"], "0:1", 2, "waiting")
        discard = {"event_id": letter["event_id"], "reason": "Written by hand in a test: never a referral"}
        assert (await client.post("/front-door/dead-letters/discard", json=discard,
                                  headers=as_role(own, "front_door"))).status_code == 403
        gone = await client.post("/front-door/dead-letters/discard", json=discard, headers=as_role(own, "admin"))
        assert gone.status_code == 201, gone.text
        after = (await client.get("/front-door/dead-letters", headers=as_role(own, "admin"))).json()
        assert after["dead_letters"] == [] and after["counts"] == {"waiting": 0, "sent_again": 0, "discarded": 1}
        refused = await client.post("/front-door/dead-letters/replay", headers=as_role(own, "admin"),
                                    json={"topic": SUBMITTED_DLQ, "ids": ["0:1"]})
        assert refused.status_code == 409 and "will not be offered again" in refused.json()["title"]
        answer = (await client.get("/front-door/queue", headers=as_role(own, "front_door"))).json()
        assert answer["counts"]["dead_letter"] == 0
    replayed = [r for r in await read_topic(private_broker, TOPIC_SUBMITTED)
                if dict(r.headers or ()).get("x-replayed-from")]
    assert [(r.key, r.value) for r in replayed] == [(b"child-key", b'{"secret": "Quillon kestrel"}')]  # once only


async def test_without_the_broker_the_queue_still_answers_with_a_note(settings: Settings) -> None:
    gone = settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:9"})
    async with client_of(create_intake(gone)) as client:
        answer = await client.get("/front-door/queue", headers=as_role(gone, "front_door"))
        assert answer.status_code == 200
        assert answer.json()["notes"] == ["Dead letters could not be read: the message broker did not answer"]
        listed = await client.get("/front-door/dead-letters", headers=as_role(gone, "admin"))
        assert listed.status_code == 200 and listed.json()["readable"] is False
        replay = await client.post("/front-door/dead-letters/replay", json={"topic": SUBMITTED_DLQ, "ids": ["0:0"]},
                                   headers=as_role(gone, "admin"))
        assert replay.status_code == 503


async def test_only_the_front_door_reaches_its_queue_and_it_cannot_act_as_a_worker_or_panel(
        stack: Stack, settings: Settings) -> None:
    rid = str(uuid.uuid4())
    contact = {"contacted": "GP", "how": "phone", "contacted_at": datetime.now(timezone.utc).isoformat()}
    front_door_only = [("GET", "/front-door/queue", None), ("GET", f"/front-door/referrals/{rid}", None),
                       ("POST", f"/front-door/referrals/{rid}/emergency-contact", contact),
                       ("POST", f"/front-door/referrals/{rid}/chase", {"how": "phone"})]
    replay = ("POST", "/front-door/dead-letters/replay", {"topic": SUBMITTED_DLQ, "ids": ["0:999999"]})
    read_letters = ("GET", "/front-door/dead-letters", None)
    for method, path, body in [*front_door_only, replay, read_letters]:
        assert (await stack.client.request(method, path, json=body)).status_code == 401, path
        for role in OTHER_ROLES:
            response = await stack.client.request(method, path, json=body, headers=as_role(settings, role))
            assert response.status_code == 403, (method, path, role)
    for method, path, body in front_door_only:
        assert (await stack.client.request(method, path, json=body,
                                           headers=as_role(settings, "admin"))).status_code == 403, path
        reached = await stack.client.request(method, path, json=body, headers=as_role(settings, "front_door"))
        assert reached.status_code in (200, 404), (path, reached.status_code)  # an unknown referral: 404
    assert (await stack.client.request(*replay[:2], json=replay[2],
                                       headers=as_role(settings, "front_door"))).status_code == 403
    assert (await stack.client.request(*replay[:2], json=replay[2],
                                       headers=as_role(settings, "admin"))).json()["replayed"] == 0
    for role in ("front_door", "admin"):
        assert (await stack.client.get(read_letters[1], headers=as_role(settings, role))).status_code == 200
    fd = as_role(settings, "front_door")
    assert (await stack.workers.get("/worklists/salt", headers=fd)).status_code == 403
    assert (await stack.workers.post(f"/worklists/salt/requests/{uuid.uuid4()}/accept", json={},
                                     headers=fd)).status_code == 403
    async with client_of(create_dsr(settings), "http://dsr") as dsr:
        assert (await dsr.get("/dsr/agenda", headers=fd)).status_code == 403
        assert (await dsr.get("/dsr/export.csv", headers=fd)).status_code == 403
