"""A person's decision on the front door end to end, on the real (embedded) broker and the real database
(issue 11, the first "Done when"): a referral the rules leave for a person (manual_review) is on the
front-door queue; a person routes it to SALT with a rationale -> referral.override_requested -> triage
-> triage.overridden -> one SALT request on the SALT worklist, and the referrer sees the route and the
reason next to the original decision. A later decision withdrawing a route no service has accepted
closes it on its worklist; withdrawing one a service accepted is refused with 409."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

import pytest
from sqlmodel import Session, select

from schemas import TOPIC_DECISIONS
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.tables import AuditEntry
from tests.factories import referral_body
from tests.integration.test_worklists import on_worklist, referral_status, worker
from tests.kafka_tools import eventually, read_events
from tests.stack import Stack

pytestmark = pytest.mark.integration
PERSON = "fd-practitioner"
WHY = "The school describes a stammer at length; speech and language therapy should assess."
# services/policy/golden/manual-review.json: only a bullying concern, with CAMHS already involved
MANUAL_REVIEW = {"concerns": ["bullying"], "known_services": ["camhs"], "child__nhs_number": ...}


def front_door(stack: Stack, role: str = "front_door") -> dict[str, str]:
    return stack.headers(subject=PERSON, role=role)


async def decide(stack: Stack, referral_id: str, *changes: dict[str, Any], rationale: str = WHY,
                 role: str = "front_door", **extra: Any) -> Any:
    assert stack.client is not None
    return await stack.client.post(f"/front-door/referrals/{referral_id}/decision",
                                   json={"rationale": rationale, "changes": list(changes), **extra},
                                   headers=front_door(stack, role))


async def applied(stack: Stack, referral_id: str, count: int) -> dict[str, Any]:
    """The referrer's view once `count` decisions of the front door are applied."""
    async def check() -> dict[str, Any] | None:
        view = await stack.view(referral_id)
        done = [d for d in view["front_door_decisions"] if d["status"] == "applied"]
        return view if len(done) == count else None

    return dict(await eventually(check, timeout=60))


def random_name() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=10)).capitalize()


async def queued(stack: Stack, referral_id: str) -> list[dict[str, Any]]:
    assert stack.client is not None
    response = await stack.client.get("/front-door/queue", headers=front_door(stack))
    assert response.status_code == 200
    return [i for i in response.json()["items"] if i["referral_id"] == referral_id]


async def test_a_person_routes_a_manual_review_to_salt_then_withdraws_one_route_and_cannot_withdraw_another(
        stack: Stack, settings: Settings) -> None:
    # A name of its own: the shared test database holds other children born the same day (a near match
    # would put a possible-duplicate item on the queue too).
    unique = {"child__given_name": random_name(), "child__family_name": random_name()}
    submitted = await stack.submit(referral_body(**MANUAL_REVIEW, **unique))
    assert submitted.status_code == 201
    rid = submitted.json()["referral_id"]

    async def decided() -> dict[str, Any] | None:
        view = await stack.view(rid)
        return view if view["status"] == "decided" else None

    before = await eventually(decided, timeout=60)
    assert (before["decision"]["outcome"], before["service_requests"]) == ("manual_review", [])
    fired = [e["rule_id"] for e in before["decision"]["explanation"]]
    assert [i["reason"] for i in await eventually(lambda: queued(stack, rid), timeout=30)] == ["manual_review"]

    # Only the front door may decide; the body is checked before anything is sent.
    salt = {"kind": "add_route", "service": "salt", "pathway": "community", "priority": "urgent"}
    help_ = {"kind": "add_route", "service": "early_help", "pathway": "family_support", "priority": "routine"}
    assert stack.client is not None
    no_token = await stack.client.post(f"/front-door/referrals/{rid}/decision", json={"rationale": WHY,
                                                                                     "changes": [salt]})
    assert no_token.status_code == 401
    for role in ("referrer", "admin", "manager", "dsr_panel", "worker:salt"):
        assert (await decide(stack, rid, salt, role=role)).status_code == 403, role
    assert (await decide(stack, rid, salt, rationale="too short")).status_code == 422
    assert (await decide(stack, str(uuid.uuid4()), salt)).status_code == 404
    unknown_rule = await decide(stack, rid, salt, disagreed_with=["route.never_fired"])
    assert unknown_rule.status_code == 422 and "route.never_fired" in unknown_rule.json()["title"]

    # The person's decision: SALT and early help, disagreeing with the rules that left it to a person.
    answer = await decide(stack, rid, salt, help_, disagreed_with=fired)
    assert answer.status_code == 202
    assert answer.json() == {"decision_id": answer.json()["decision_id"], "status": "requested"}
    view = await applied(stack, rid, 1)
    salt_item = await on_worklist(stack, "salt", rid)
    help_item = await on_worklist(stack, "early_help", rid)
    listed = (await stack.workers.get("/worklists/salt", headers=worker(stack, "salt"))).json()
    mine = [i["service_request_id"] for i in listed if i.get("referral_id") == rid]  # a held item names no referral
    assert mine == [salt_item["service_request_id"]]
    assert salt_item["priority"] == "urgent"

    # The referrer sees the route, who decided, why, what changed, and the original decision with its reasons.
    requests = {r["service"]: r for r in view["service_requests"]}
    assert set(requests) == {"salt", "early_help"} and requests["salt"]["status"] == "created"
    assert (view["decision"]["outcome"], view["decision"]["decided_by"], view["decision"]["rationale"]) == (
        "routed", PERSON, WHY)
    assert view["original_decision"]["outcome"] == "manual_review"
    assert [e["rule_id"] for e in view["original_decision"]["explanation"]] == fired
    [person] = view["front_door_decisions"]
    assert (person["decided_by"], person["rationale"], person["disagreed_with"], person["summary"]) == (
        PERSON, WHY, fired, "added Speech and language therapy, community (urgent); added Early help, family "
                            "support (routine)")
    assert any(t["summary"].startswith("Front door decision: added Speech and language therapy")
               and t["summary"].endswith(f"reason: {WHY}") for t in view["timeline"])
    assert await queued(stack, rid) == []  # decided by a person: off the queue

    overridden = [e for e in await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS)
                  if e["event_type"] == "triage.overridden" and e["referral_id"] == rid]
    assert len(overridden) == 1 and (overridden[0]["decided_by"], overridden[0]["rationale"]) == (PERSON, WHY)
    with Session(make_engine(settings.database_url)) as s:
        audit = s.exec(select(AuditEntry).where(  # refused attempts have rows too
            AuditEntry.action == "front_door.decide", AuditEntry.outcome == "allowed",
            AuditEntry.referral_id == uuid.UUID(rid))).all()
        assert [(a.actor, a.role, str(a.record_id)) for a in audit] == [(PERSON, "front_door",
                                                                         answer.json()["decision_id"])]

    # A second decision withdraws early help (not accepted yet): it leaves the early-help worklist.
    withdrawn = await decide(stack, rid, {"kind": "withdraw_route",
                                          "service_request_id": help_item["service_request_id"]},
                             rationale="The family already has an early help worker through the school.")
    assert withdrawn.status_code == 202
    await applied(stack, rid, 2)

    async def closed() -> dict[str, Any] | None:
        shown = (await stack.workers.get(f"/worklists/early_help/requests/{help_item['service_request_id']}",
                                         headers=worker(stack, "early_help"))).json()
        return shown if shown["status"] == "withdrawn" else None

    await eventually(closed, timeout=40)
    view = await referral_status(stack, rid, {"early_help": "withdrawn", "salt": "created"})
    assert any("withdrawn by the front door: The family already has an early help worker" in t["summary"]
               for t in view["timeline"])

    # SALT accepts its request: from then on no front-door decision can take it away.
    accepted = await stack.workers.post(f"/worklists/salt/requests/{salt_item['service_request_id']}/accept",
                                        json={}, headers=worker(stack, "salt"))
    assert accepted.status_code == 200
    await referral_status(stack, rid, {"salt": "accepted"})
    refused = await decide(stack, rid, {"kind": "withdraw_route",
                                        "service_request_id": salt_item["service_request_id"]},
                           rationale="Changed my mind about speech and language therapy.")
    assert (refused.status_code, refused.json()["title"]) == (
        409, "Speech and language therapy has already accepted this request; it cannot be withdrawn")
    again = await decide(stack, rid, {"kind": "withdraw_route",
                                      "service_request_id": help_item["service_request_id"]})
    assert (again.status_code, again.json()["title"]) == (409, "This request is no longer open")
