"""Service queues end to end on the real (embedded) broker and the real database: worklists, actions
and their journey back to the referrer, held requests, redirects, breaches, roles, minimisation."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_OUTCOMES
from services.common.auth import mint_dev_token
from services.common.db import make_engine, session_scope
from services.common.settings import Settings
from services.common.tables import OutboxMessage
from services.worklists.main import run_breach_check
from services.worklists.tables import WorklistItem
from tests.databases import race_two_replicas
from tests.factories import CANARIES, CANARY_GIVEN, a_child_of_its_own, referral_body
from tests.kafka_tools import eventually, read_events
from tests.stack import Stack

pytestmark = pytest.mark.integration
SERVICES = ("safeguarding", "semh", "counselling", "salt", "early_help")


def worker(stack: Stack, service: str) -> dict[str, str]:
    return stack.headers(subject=f"{service}-worker", role=f"worker:{service}")


async def on_worklist(stack: Stack, service: str, referral_id: str, **filters: Any) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        response = await stack.workers.get(f"/worklists/{service}", params=filters, headers=worker(stack, service))
        assert response.status_code == 200
        return next((i for i in response.json() if i.get("referral_id") == referral_id), None)

    return dict(await eventually(find, timeout=40))


async def submit(stack: Stack, **changes: Any) -> str:
    response = await stack.submit(referral_body(child__nhs_number=..., **(a_child_of_its_own() | changes)))
    assert response.status_code == 201
    return str(response.json()["referral_id"])


async def referral_status(stack: Stack, referral_id: str, want: dict[str, str]) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        view = await stack.view(referral_id)
        got = {r["service"]: r["status"] for r in view["service_requests"]}
        return view if all(got.get(k) == v for k, v in want.items()) else None

    return dict(await eventually(check, timeout=60))


async def test_accept_and_decline_flow_back_to_the_referral_and_timeline(stack: Stack) -> None:
    rid = await submit(stack, concerns=["stammering", "housing"])
    salt = await on_worklist(stack, "salt", rid)
    help_ = await on_worklist(stack, "early_help", rid)
    accepted = await stack.workers.post(f"/worklists/salt/requests/{salt['service_request_id']}/accept", json={},
                                        headers=worker(stack, "salt"))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    no_signpost = await stack.workers.post(f"/worklists/early_help/requests/{help_['service_request_id']}/decline",
                                           json={"reason": "Family already supported by housing team"},
                                           headers=worker(stack, "early_help"))
    assert no_signpost.status_code == 422
    declined = await stack.workers.post(
        f"/worklists/early_help/requests/{help_['service_request_id']}/decline",
        json={"reason": "Family already supported by housing team", "signpost": "Local housing advice service"},
        headers=worker(stack, "early_help"),
    )
    assert declined.status_code == 200
    view = await referral_status(stack, rid, {"salt": "accepted", "early_help": "declined"})
    summaries = [t["summary"] for t in view["timeline"]]
    assert any(s.startswith("Speech and language therapy, community: accepted") for s in summaries)
    assert any("Early help, family support: declined; signposted: Local housing advice service" in s for s in summaries)
    again = await stack.workers.post(f"/worklists/salt/requests/{salt['service_request_id']}/accept", json={},
                                     headers=worker(stack, "salt"))
    assert again.status_code == 409


async def test_a_redirect_from_semh_to_counselling_makes_a_counselling_request_and_a_timeline_hop(stack: Stack) -> None:
    rid = await submit(stack, concerns=["anxiety"])  # SEMH early support only
    semh = await on_worklist(stack, "semh", rid)
    redirected = await stack.workers.post(
        f"/worklists/semh/requests/{semh['service_request_id']}/redirect",
        json={"redirect_to": "counselling", "reason": "Anxiety follows a bereavement; counselling fits better"},
        headers=worker(stack, "semh"),
    )
    assert redirected.status_code == 200
    counselling = await on_worklist(stack, "counselling", rid)
    detail = (await stack.workers.get(f"/worklists/counselling/requests/{counselling['service_request_id']}",
                                      headers=worker(stack, "counselling"))).json()
    assert detail["reasons"][0]["rule_id"] == "redirect.semh"
    view = await referral_status(stack, rid, {"semh": "redirected", "counselling": "created"})
    hop = next(r for r in view["service_requests"] if r["service"] == "counselling")
    assert hop["redirect_of"] == semh["service_request_id"]
    summaries = [t["summary"] for t in view["timeline"]]
    assert any("Mental health (SEMH), early support: redirected to Counselling" in s for s in summaries)
    assert any(s.startswith("New request: Counselling, ") for s in summaries)
    assert view["decision"]["routes"][0]["service"] == "semh"  # not a full re-triage: the decision stands


async def test_a_held_request_cannot_be_accepted_before_mash_releases_it(stack: Stack) -> None:
    rid = await submit(stack, concerns=["anxiety"], risks=["harm_or_abuse_disclosure"])

    async def held_by_mash() -> list[dict[str, Any]] | None:
        response = await stack.workers.get(f"/worklists/safeguarding/referrals/{rid}/held",
                                           headers=worker(stack, "safeguarding"))
        return response.json() or None

    held = await eventually(held_by_mash, timeout=40)
    assert [h["service"] for h in held] == ["semh"]
    assert held[0]["referral_id"] == rid and held[0]["child"]["given_name"] == CANARY_GIVEN  # MASH decides: in full
    semh = (await stack.workers.get(f"/worklists/semh/requests/{held[0]['service_request_id']}",
                                    headers=worker(stack, "semh"))).json()
    assert semh["held"] is True and semh["mash_decides_first"] is True and semh["service"] == "semh"
    assert not {"child", "details", "reasons", "referral_id", "pathway"} & set(semh)  # need to know, until released
    listed = (await stack.workers.get("/worklists/semh", params={"held": "true"}, headers=worker(stack, "semh"))).text
    assert semh["service_request_id"] in listed
    for canary in CANARIES:
        assert canary not in listed and canary not in json.dumps(semh)
    refused = await stack.workers.post(f"/worklists/semh/requests/{semh['service_request_id']}/accept", json={},
                                       headers=worker(stack, "semh"))
    assert refused.status_code == 409 and "held" in refused.json()["title"]
    assert (await stack.workers.post(f"/worklists/safeguarding/referrals/{rid}/held",
                                     json={"decision": "release", "reason": "No ongoing risk"},
                                     headers=worker(stack, "semh"))).status_code == 403
    released = await stack.workers.post(f"/worklists/safeguarding/referrals/{rid}/held",
                                        json={"decision": "release", "reason": "No ongoing risk found"},
                                        headers=worker(stack, "safeguarding"))
    assert released.json() == {"decision": "release", "requests": 1}
    accepted = await stack.workers.post(f"/worklists/semh/requests/{semh['service_request_id']}/accept", json={},
                                        headers=worker(stack, "semh"))
    assert accepted.status_code == 200
    released_view = (await stack.workers.get(f"/worklists/semh/requests/{semh['service_request_id']}",
                                             headers=worker(stack, "semh"))).json()
    assert released_view["details"]["given_name"] == CANARY_GIVEN and released_view["referral_id"] == rid
    view = await referral_status(stack, rid, {"semh": "accepted"})
    assert any("released by the safeguarding hub (MASH)" in t["summary"] for t in view["timeline"])


async def test_every_worklist_endpoint_refuses_other_services_workers_and_referrers(stack: Stack) -> None:
    rid = await submit(stack, concerns=["stammering"])
    salt = await on_worklist(stack, "salt", rid)
    request_id = salt["service_request_id"]
    calls = [("GET", "/worklists/salt", None), ("GET", f"/worklists/salt/requests/{request_id}", None),
             ("GET", "/worklists/salt/breaches", None)]
    calls += [("POST", f"/worklists/salt/requests/{request_id}/{a}", {})
              for a in ("accept", "decline", "redirect", "complete")]
    calls += [("GET", f"/worklists/safeguarding/referrals/{rid}/held", None),
              ("POST", f"/worklists/safeguarding/referrals/{rid}/held", {"decision": "release", "reason": "x" * 5})]
    other_workers = tuple(f"worker:{s}" for s in SERVICES if s not in ("salt", "safeguarding"))
    for method, path, body in calls:
        assert (await stack.workers.request(method, path, json=body)).status_code == 401, path
        for role in ("referrer", "dsr_panel", "admin", *other_workers):
            response = await stack.workers.request(method, path, json=body,
                                                   headers=stack.headers(subject="x", role=role))
            assert response.status_code == 403, (method, path, role)
    # Another service's request id, asked for under one's own service: as if it did not exist.
    assert (await stack.workers.get(f"/worklists/semh/requests/{request_id}",
                                    headers=worker(stack, "semh"))).status_code == 404
    assert (await stack.workers.post(f"/worklists/semh/requests/{request_id}/accept", json={},
                                     headers=worker(stack, "semh"))).status_code == 404


async def released_by_mash(stack: Stack, referral_id: str, *, services: set[str]) -> None:
    """Once the referral's requests for `services` are all held on their worklists, MASH releases them."""
    async def all_held() -> list[dict[str, Any]] | None:
        response = await stack.workers.get(f"/worklists/safeguarding/referrals/{referral_id}/held",
                                           headers=worker(stack, "safeguarding"))
        return response.json() if {h["service"] for h in response.json()} == services else None

    await eventually(all_held, timeout=40)
    released = await stack.workers.post(f"/worklists/safeguarding/referrals/{referral_id}/held",
                                        json={"decision": "release", "reason": "No ongoing risk found"},
                                        headers=worker(stack, "safeguarding"))
    assert released.json() == {"decision": "release", "requests": len(services)}


async def test_each_service_sees_only_the_fields_it_is_meant_to(stack: Stack) -> None:
    # SEMH and counselling exclude each other in the policy: two referrals reach all five services.
    rid = await submit(stack, concerns=["anxiety", "bereavement", "stammering", "housing", "domestic_abuse"],
                       voice_of_child="I want it to stop")
    severe = await submit(stack, concerns=["low_mood"], impact="severe", voice_of_child="I feel flat")
    await released_by_mash(stack, rid, services={"counselling", "salt", "early_help"})  # domestic abuse: held first
    for service in SERVICES:
        item = await on_worklist(stack, service, severe if service == "semh" else rid)
        detail = (await stack.workers.get(f"/worklists/{service}/requests/{item['service_request_id']}",
                                          headers=worker(stack, service))).json()
        allowed = set(stack.ruleset.sharing[service])
        assert set(detail["details"]) <= allowed, service
        assert detail["details"]["given_name"]  # and they do get what they need
    counselling = await on_worklist(stack, "counselling", rid)
    detail = (await stack.workers.get(f"/worklists/counselling/requests/{counselling['service_request_id']}",
                                      headers=worker(stack, "counselling"))).json()
    assert "nhs_number" not in detail["details"] and "risks" not in detail["details"]
    early_help = await on_worklist(stack, "early_help", rid)
    detail = (await stack.workers.get(f"/worklists/early_help/requests/{early_help['service_request_id']}",
                                      headers=worker(stack, "early_help"))).json()
    assert "voice_of_child" not in detail["details"] and "diagnoses" not in detail["details"]


async def test_a_request_past_due_is_breached_exactly_once_with_two_breach_jobs(stack: Stack,
                                                                                 settings: Settings) -> None:
    now = datetime.now(timezone.utc)
    ids = [uuid.uuid4() for _ in range(5)]
    with session_scope(make_engine(settings.database_url)) as session:
        for i, request_id in enumerate(ids):
            session.add(WorklistItem(id=request_id, service="salt", referral_id=uuid.uuid4(), child_id=uuid.uuid4(),
                                     pathway="community", priority="routine", due_by=now - timedelta(hours=i + 1),
                                     status="created"))
        session.add(WorklistItem(id=uuid.uuid4(), service="salt", referral_id=uuid.uuid4(), child_id=uuid.uuid4(),
                                 pathway="community", priority="routine", due_by=now + timedelta(days=3),
                                 status="created"))

    counts = await race_two_replicas(run_breach_check, settings.database_url)
    assert sum(counts) >= 5
    with Session(make_engine(settings.database_url)) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_OUTCOMES)).all()
        breached = [json.loads(r.payload)["service_request_id"] for r in rows
                    if json.loads(r.payload)["event_type"] == "service_request.breached"]
        flagged = session.exec(select(WorklistItem).where(col(WorklistItem.id).in_(ids))).all()
    mine = [b for b in breached if uuid.UUID(b) in ids]
    assert sorted(mine) == sorted(str(i) for i in ids)  # each exactly once
    assert all(item.breached_at is not None for item in flagged)

    async def on_bus() -> list[dict[str, Any]]:
        events = await read_events(stack.settings.kafka_bootstrap_servers, TOPIC_OUTCOMES)
        return [e for e in events
                if e["event_type"] == "service_request.breached" and uuid.UUID(e["service_request_id"]) in ids]

    published = await eventually(lambda: _all(on_bus, len(ids)), timeout=30)
    assert len(published) == len(ids)
    breaches = (await stack.workers.get("/worklists/salt/breaches", headers=worker(stack, "salt"))).json()
    assert breaches["breaches"] >= 5


async def _all(fetch: Any, n: int) -> list[dict[str, Any]] | None:
    got = await fetch()
    return got if len(got) >= n else None


async def test_a_referral_that_needs_information_is_completed_without_retyping(stack: Stack) -> None:
    rid = await submit(stack, consent={"basis": "none", "child_aware": True})
    view = await eventually(lambda: _decided(stack, rid), timeout=40)
    assert view["decision"]["outcome"] == "needs_information" and view["decision"]["missing"] == ["consent"]
    assert (await stack.client.patch(f"/referrals/{rid}", json={"consent": {"basis": "parent_with_pr"}},
                                     headers=stack.headers(subject="someone-else"))).status_code == 404
    bad = await stack.client.patch(f"/referrals/{rid}", json={"consent": {"basis": "telepathy"}},
                                   headers=stack.headers())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "consent.basis"
    patched = await stack.client.patch(f"/referrals/{rid}", json={"consent": {"basis": "parent_with_pr"}},
                                       headers=stack.headers())
    assert patched.status_code == 200
    view = await referral_status(stack, rid, {"semh": "created", "salt": "created", "early_help": "created"})
    assert view["decision"]["outcome"] == "routed"
    assert (view["referral"]["reason"] == referral_body()["reason"]
            and view["referral"]["consent"]["child_aware"] is True)
    again = await stack.client.patch(f"/referrals/{rid}", json={"consent": {"basis": "parent_with_pr"}},
                                     headers=stack.headers())
    assert again.status_code == 409


async def _decided(stack: Stack, rid: str) -> dict[str, Any] | None:
    view = await stack.view(rid)
    return view if view["decision"] else None


def test_minting_helpers_are_consistent() -> None:
    assert mint_dev_token(Settings(), subject="s", roles=["worker:salt"]).count(".") == 2
