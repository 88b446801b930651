"""A front-door decision withdrawing requests, on the real (embedded) broker and the real database:
`service_request.withdrawn` (as triage publishes it, on the outcomes topic) closes a request on its
worklist through the worklists' own consumer group, once however often it is delivered; a request
the service already accepted stays accepted; a withdrawal that overtakes its request still wins; and
the invariant checker folds a person's decision, delivered three times, once."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_OUTCOMES, TOPIC_SUBMITTED, ServiceOutcome, ServiceRequestCreated, queue_topic
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.tables import ProcessedEvent
from services.worklists.tables import WorklistItem
from tests.factories import a_child_of_its_own, referral_body
from tests.integration.test_worklists import on_worklist, worker
from tests.invariants import Report, check
from tests.kafka_tools import eventually, produce_raw, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
PERSON = "front-door-practitioner"
REFERRER = "withdrawn-referrer"  # a referrer of this module's own: other modules count their referrals' decisions
RATIONALE = "Speech therapy already in place through the school"


async def submit(stack: Stack, **changes: Any) -> str:
    body = referral_body(child__nhs_number=..., **(a_child_of_its_own() | changes))
    response = await stack.submit(body, subject=REFERRER)
    assert response.status_code == 201
    return str(response.json()["referral_id"])


async def referral_status(stack: Stack, referral_id: str, want: dict[str, str]) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        view = await stack.view(referral_id, subject=REFERRER)
        got = {r["service"]: r["status"] for r in view["service_requests"]}
        return view if all(got.get(k) == v for k, v in want.items()) else None

    return dict(await eventually(check, timeout=60))


def stored(settings: Settings, request_id: str | uuid.UUID) -> WorklistItem | None:
    with Session(make_engine(settings.database_url), expire_on_commit=False) as s:
        return s.get(WorklistItem, uuid.UUID(str(request_id)))


def withdrawal(item: WorklistItem) -> ServiceOutcome:
    """What triage publishes for a route a person withdrew."""
    return ServiceOutcome(
        event_id=uuid.uuid4(), occurred_at=datetime.now(timezone.utc), correlation_id=item.referral_id,
        event_type="service_request.withdrawn", service_request_id=item.id, referral_id=item.referral_id,
        child_id=item.child_id, service=item.service, by=PERSON, reason=RATIONALE, pathway=item.pathway,
        due_by=item.due_by,
    )


async def publish(settings: Settings, topic: str, *events: ServiceOutcome | ServiceRequestCreated) -> None:
    await produce_raw(settings.kafka_bootstrap_servers, topic,
                      [(str(e.child_id).encode(), e.model_dump_json().encode()) for e in events])


async def test_a_withdrawn_request_leaves_the_worklist_once_and_an_accepted_one_stays(stack: Stack,
                                                                                      settings: Settings) -> None:
    rid = await submit(stack, concerns=["stammering", "housing"])
    salt = stored(settings, (await on_worklist(stack, "salt", rid))["service_request_id"])
    help_ = stored(settings, (await on_worklist(stack, "early_help", rid))["service_request_id"])
    assert salt is not None and help_ is not None
    accepted = await stack.workers.post(f"/worklists/early_help/requests/{help_.id}/accept", json={},
                                        headers=worker(stack, "early_help"))
    assert accepted.status_code == 200
    # A person can only withdraw what intake shows (intake has the decision and the acceptance by then).
    await referral_status(stack, rid, {"salt": "created", "early_help": "accepted"})
    # The accepted request's withdrawal first, on the same partition (same child): once the SALT one is
    # applied, the other has been handled too.
    too_late, withdrawn = withdrawal(help_), withdrawal(salt)
    await publish(settings, TOPIC_OUTCOMES, too_late, withdrawn, withdrawn, withdrawn)

    async def gone() -> bool:
        listed = await stack.workers.get("/worklists/salt", headers=worker(stack, "salt"))
        return all(i["service_request_id"] != str(salt.id) for i in listed.json())

    await eventually(gone, timeout=40)
    shown = (await stack.workers.get(f"/worklists/salt/requests/{salt.id}", headers=worker(stack, "salt"))).json()
    assert shown["status"] == "withdrawn"
    assert (shown["withdrawn"]["by"], shown["withdrawn"]["reason"]) == (PERSON, RATIONALE)
    listed = await stack.workers.get("/worklists/salt", params={"status": "withdrawn"}, headers=worker(stack, "salt"))
    assert [i["service_request_id"] for i in listed.json() if i["referral_id"] == rid] == [str(salt.id)]
    refused = await stack.workers.post(f"/worklists/salt/requests/{salt.id}/accept", json={},
                                       headers=worker(stack, "salt"))
    assert refused.status_code == 409

    kept = stored(settings, help_.id)
    assert kept is not None and (kept.status, kept.actor) == ("accepted", "early_help-worker")
    await referral_status(stack, rid, {"salt": "withdrawn"})  # the referrer sees it too (intake's consumer)
    with Session(make_engine(settings.database_url)) as s:
        processed = s.exec(select(ProcessedEvent).where(ProcessedEvent.consumer == "worklists.outcomes",
                                                        col(ProcessedEvent.event_id).in_([withdrawn.event_id,
                                                                                          too_late.event_id]))).all()
        assert [p.event_id for p in processed] == [withdrawn.event_id]  # once; the refused one wrote nothing


async def test_a_withdrawal_that_overtakes_its_request_still_closes_it(stack: Stack, settings: Settings) -> None:
    now = datetime.now(timezone.utc)
    request = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=now, correlation_id=None, service_request_id=uuid.uuid4(),
        referral_id=uuid.uuid4(), child_id=uuid.uuid4(), service="salt", pathway="community", priority="urgent",
        due_by=now + timedelta(days=5), held=False, reasons=[{"rule_id": "front_door.decision", "because": "a person"}],
        details={"given_name": "Ava", "family_name": "Example"},
    )
    early: Any = WorklistItem(id=request.service_request_id, service="salt", referral_id=request.referral_id,
                              child_id=request.child_id, pathway="community", priority="urgent", due_by=request.due_by)
    await publish(settings, TOPIC_OUTCOMES, withdrawal(early))
    placeholder = await eventually(lambda: stored(settings, request.service_request_id), timeout=40)
    assert (placeholder.status, placeholder.priority) == ("withdrawn", "")
    await publish(settings, queue_topic("salt"), request)

    async def filled() -> WorklistItem | None:
        item = stored(settings, request.service_request_id)
        return item if item is not None and item.priority == "urgent" else None

    item = await eventually(filled, timeout=40)
    assert (item.status, item.actor, item.outcome_reason, item.details["given_name"]) == (
        "withdrawn", PERSON, RATIONALE, "Ava")
    listed = await stack.workers.get("/worklists/salt", headers=worker(stack, "salt"))
    assert str(request.service_request_id) not in {i["service_request_id"] for i in listed.json()}


async def test_an_override_delivered_three_times_folds_once_in_the_invariant_checker(stack: Stack,
                                                                                     settings: Settings) -> None:
    """A person's decision through intake's front-door API (SALT made urgent: withdrawn and asked again;
    early help withdrawn), its request then redelivered twice more: the checker, extended to overrides,
    finds one decision by a person, the three requests, the two withdrawn, nothing lost or duplicated."""
    rid = await submit(stack, concerns=["stammering", "housing"])
    salt = (await on_worklist(stack, "salt", rid))["service_request_id"]
    help_ = (await on_worklist(stack, "early_help", rid))["service_request_id"]
    await referral_status(stack, rid, {"salt": "created", "early_help": "created"})
    assert stack.client is not None
    posted = await stack.client.post(
        f"/front-door/referrals/{rid}/decision", headers=stack.headers(subject=PERSON, role="front_door"),
        json={"rationale": RATIONALE, "changes": [
            {"kind": "change_priority", "service_request_id": salt, "priority": "urgent"},
            {"kind": "withdraw_route", "service_request_id": help_}]})
    assert posted.status_code == 202, posted.text

    async def folded() -> Report | None:
        report = await check(settings.kafka_bootstrap_servers, settings.database_url, [rid])
        return report if report.ok and (report.overrides, report.withdrawn) == (1, 2) else None

    first = await eventually(folded, timeout=60, interval=1)
    assert (first.decisions, first.service_requests) == (1, 3)
    ours = [r for r in await read_topic(settings.kafka_bootstrap_servers, TOPIC_SUBMITTED)
            if rid.encode() in (r.value or b"")]  # the shared broker also holds other tests' poison records
    requested = [r for r in ours if json.loads(r.value)["event_type"] == "referral.override_requested"]
    assert len(requested) == 1
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_SUBMITTED, [(requested[0].key, requested[0].value)] * 2)

    async def redelivered() -> Report | None:
        report = await check(settings.kafka_bootstrap_servers, settings.database_url, [rid])
        return report if report.redelivered >= first.redelivered + 2 else None

    await eventually(redelivered, timeout=60, interval=1)
    await asyncio.sleep(2)  # and time for any second effect to show
    again = await check(settings.kafka_bootstrap_servers, settings.database_url, [rid])
    assert again.ok, again.explain()
    assert (again.decisions, again.overrides, again.service_requests, again.withdrawn) == (1, 1, 3, 2)
    shown = (await stack.workers.get(f"/worklists/early_help/requests/{help_}",
                                     headers=worker(stack, "early_help"))).json()
    assert (shown["status"], shown["withdrawn"]["by"], shown["withdrawn"]["reason"]) == ("withdrawn", PERSON, RATIONALE)
