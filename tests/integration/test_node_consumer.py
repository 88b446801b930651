"""A Node team's consumer reads every topic (issue 24, "Done when"): schemas/tooling/consume.mjs (kafkajs and Ajv from
npm, strict mode) checks every record of an end-to-end run against the AsyncAPI document alone — payload, headers,
key, the CloudEvents headers, dead letters — on a broker and a database of this module's own, so that only what
this run caused is on it. The second test shows the consumer refuses what it should (records from a file)."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from schemas import TOPIC_SUBMITTED
from services.contracts import ASYNCAPI, SCHEMAS
from tests.cases import SHARED_CASES, load
from tests.factories import CANARIES, a_child_of_its_own, referral_body
from tests.integration.test_case_notes import candidate, entry_of
from tests.integration.test_dsr import Dsr
from tests.integration.test_front_door_override import MANUAL_REVIEW, decide, queued, random_name
from tests.integration.test_replay import run_stack, settings_for, stop
from tests.integration.test_worklists import on_worklist, referral_status, worker
from tests.kafka_tools import eventually, lag, produce_raw, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
CONSUMER = SCHEMAS / "tooling" / "consume.mjs"
# What this module's run makes happen on purpose: the consumer must see each of them.
CAUSED = {
    "referral.submitted", "triage.decided", "service_request.created", "service_request.accepted",
    "service_request.declined", "service_request.redirected", "referral.redirected", "service_request.released",
    "referral.override_requested", "triage.overridden", "referral.note_added", "service_request.note_added",
    "referral.assigned", "service_request.assigned", "dsr.entry_created", "dsr.note_added", "child.merged",
    "child.unmerged", "dead-letter",
}


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: the consumer runs on node (.ci/run installs npm)")
    assert (SCHEMAS / "tooling" / "node_modules" / "kafkajs").is_dir(), \
        "the contract tooling is not installed: run `make install` (npm ci in schemas/tooling)"
    return found


async def consume(*args: str) -> tuple[int, dict[str, Any], str]:
    """Run the Node consumer; its exit code, its summary and its standard error."""
    done = await asyncio.create_subprocess_exec(node(), str(CONSUMER), "--document", str(ASYNCAPI), *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(done.communicate(), timeout=150)
    assert out, err.decode()
    return int(done.returncode or 0), json.loads(out), err.decode()


@pytest.fixture(scope="module")
async def running(private_broker: str, fresh_database_url: str) -> AsyncIterator[tuple[Stack, Dsr]]:
    settings = settings_for(private_broker, fresh_database_url, f"node-{uuid.uuid4().hex[:6]}")
    stack, dsr = await run_stack(settings)
    yield stack, dsr
    await stop(stack, dsr)


async def submitted(stack: Stack, **changes: Any) -> str:
    response = await stack.submit(referral_body(child__nhs_number=..., **(a_child_of_its_own() | changes)))
    assert response.status_code == 201, response.text
    return str(response.json()["referral_id"])


async def services_act(stack: Stack) -> None:
    """Routed to SALT, SEMH and early help: SALT accepts (picked up, a note), early help declines, SEMH redirects
    to counselling (referral.redirected, then a counselling request)."""
    rid = await submitted(stack, concerns=["anxiety", "stammering", "housing"])
    salt, help_, semh = [await on_worklist(stack, s, rid) for s in ("salt", "early_help", "semh")]
    path = "/worklists/{}/requests/{}/{}"
    answers = [
        await stack.workers.post(path.format("salt", salt["service_request_id"], "assignment"),
                                 json={"action": "pick_up"}, headers=worker(stack, "salt")),
        await stack.workers.post(path.format("salt", salt["service_request_id"], "notes"),
                                 json={"text": "Called the school to arrange a visit", "key": str(uuid.uuid4())},
                                 headers=worker(stack, "salt")),
        await stack.workers.post(path.format("salt", salt["service_request_id"], "accept"), json={},
                                 headers=worker(stack, "salt")),
        await stack.workers.post(path.format("early_help", help_["service_request_id"], "decline"),
                                 json={"reason": "Family already supported by housing team",
                                       "signpost": "Local housing advice service"},
                                 headers=worker(stack, "early_help")),
        await stack.workers.post(path.format("semh", semh["service_request_id"], "redirect"),
                                 json={"redirect_to": "counselling", "reason": "Counselling fits this anxiety better"},
                                 headers=worker(stack, "semh")),
    ]
    assert [a.status_code for a in answers] == [200, 201, 200, 200, 200], [a.text for a in answers]
    await on_worklist(stack, "counselling", rid)
    await referral_status(stack, rid, {"salt": "accepted", "early_help": "declined", "semh": "redirected",
                                       "counselling": "created"})


async def mash_releases(stack: Stack) -> None:
    """A safeguarding disclosure: MASH first, SEMH held until MASH releases it."""
    rid = await submitted(stack, concerns=["anxiety"], risks=["harm_or_abuse_disclosure"])
    held = f"/worklists/safeguarding/referrals/{rid}/held"

    async def held_by_mash() -> Any:
        return (await stack.workers.get(held, headers=worker(stack, "safeguarding"))).json() or None

    [semh] = await eventually(held_by_mash, timeout=40)
    released = await stack.workers.post(held, json={"decision": "release", "reason": "No ongoing risk found"},
                                        headers=worker(stack, "safeguarding"))
    assert released.status_code == 200, released.text
    accepted = await stack.workers.post(f"/worklists/semh/requests/{semh['service_request_id']}/accept", json={},
                                        headers=worker(stack, "semh"))
    assert accepted.status_code == 200, accepted.text
    await referral_status(stack, rid, {"semh": "accepted"})


async def front_door_decides(stack: Stack) -> None:
    """A referral the rules leave for a person: picked up, noted, and routed to SALT by the front door."""
    assert stack.client is not None
    rid = (await stack.submit(referral_body(**MANUAL_REVIEW, child__given_name=random_name(),
                                            child__family_name=random_name()))).json()["referral_id"]
    await eventually(lambda: queued(stack, rid), timeout=40)
    fd = stack.headers(subject="fd-practitioner", role="front_door")
    answers = [
        await stack.client.post(f"/front-door/referrals/{rid}/assignment", json={"action": "pick_up"}, headers=fd),
        await stack.client.post(f"/front-door/referrals/{rid}/notes",
                                json={"text": "Rang the referrer for more detail", "key": str(uuid.uuid4())},
                                headers=fd),
        await decide(stack, rid, {"kind": "add_route", "service": "salt", "pathway": "community",
                                  "priority": "routine"}),
    ]
    assert [a.status_code for a in answers] == [200, 201, 202], [a.text for a in answers]
    await on_worklist(stack, "salt", rid)


async def register_notes(stack: Stack, dsr: Dsr) -> None:
    """A referral the rules put forward for the Dynamic Support Register: an entry, and a note on it."""
    response = await stack.submit(candidate())
    assert response.status_code == 201, response.text
    entry = await eventually(lambda: entry_of(stack.settings, response.json()["referral_id"]), timeout=40)
    panel = stack.headers(subject="panel-chair", role="dsr_panel")
    async with dsr.client() as client:
        noted = await client.post(f"/dsr/entries/{entry.id}/notes",
                                  json={"text": "Discussed at the panel", "key": str(uuid.uuid4())}, headers=panel)
    assert noted.status_code == 201, noted.text


async def children_merged(stack: Stack) -> None:
    """Two records of one child (a mistyped name), merged and the merge undone."""
    assert stack.client is not None
    family = random_name()
    ids = []
    for given in ("Robin", "Robni"):
        response = await stack.submit(referral_body(child__nhs_number=..., child__given_name=given,
                                                    child__family_name=family))
        ids.append(response.json())
        await eventually(lambda r=response.json()["referral_id"]: _decided(stack, r), timeout=40)
    fd = stack.headers(subject="fd-practitioner", role="front_door")
    merge = await stack.client.post("/front-door/duplicates/merge", headers=fd, json={
        "survivor_id": ids[0]["child_id"], "merged_id": ids[1]["child_id"], "reason": "Same child: a mistyped name"})
    assert merge.status_code == 201, merge.text
    undo = await stack.client.post(merge.json()["links"]["undo"], headers=fd)
    assert undo.status_code == 200, undo.text


async def _decided(stack: Stack, rid: str) -> bool:
    view = await stack.view(rid)
    return view["status"] == "decided" and bool(view["service_requests"])


async def test_the_node_consumer_finds_every_record_of_an_end_to_end_run_valid(
        running: tuple[Stack, Dsr], private_broker: str) -> None:
    node()
    stack, dsr = running
    # A poison record as an outside producer might write it (no headers at all): dead-lettered by triage.
    poison_key = str(uuid.uuid4()).encode()
    await produce_raw(private_broker, TOPIC_SUBMITTED, [(poison_key, b'{"event_type": "referral.submitted"}')])
    [poison_partition] = {r.partition for r in await read_topic(private_broker, TOPIC_SUBMITTED)}
    await asyncio.gather(services_act(stack), mash_releases(stack), front_door_decides(stack),
                         register_notes(stack, dsr), children_merged(stack))

    async def settled() -> bool:  # every consumer group has read everything (twice, a second apart: the outboxes)
        if await lag(private_broker, stack.settings.kafka_group_prefix):
            return False
        await asyncio.sleep(1)
        return await lag(private_broker, stack.settings.kafka_group_prefix) == 0

    await eventually(settled, timeout=60, interval=0.5)

    code, summary, err = await consume("--broker", private_broker)
    shown = json.dumps(summary, indent=1)
    print(shown)  # the types seen, and what failed (pytest shows it when the test fails)
    assert not CAUSED - set(summary["by_type"]), f"not seen: {sorted(CAUSED - set(summary['by_type']))}"
    assert summary["records"] == sum(summary["by_type"].values()) > 0
    # The poison record is on the referrals topic: listed as dead-lettered (triage refused it), not a problem.
    assert {(d["topic"], d["partition"]) for d in summary["dead_lettered"]} == {(TOPIC_SUBMITTED, poison_partition)}
    assert len({d["offset"] for d in summary["dead_lettered"]}) == 1
    assert (summary["problems"], summary["schemas_not_compiled"], code) == ([], [], 0), err
    assert not any(c in shown for c in CANARIES)  # field paths and keywords only, never a value


def _headers(event: dict[str, Any], **changes: str) -> dict[str, str]:
    """The headers the document and the CloudEvents Kafka binding ask of an event."""
    return {"content-type": "application/json", "event-id": event["event_id"], "event-type": event["event_type"],
            "schema-version": str(event["schema_version"]), "correlation-id": event["correlation_id"],
            "ce_specversion": "1.0", "ce_id": event["event_id"], "ce_type": event["event_type"],
            "ce_source": "/frontdoor/intake", "ce_time": event["occurred_at"], "ce_subject": event["referral_id"],
            **changes}


async def test_the_node_consumer_refuses_a_bad_payload_and_bad_headers(tmp_path: Path) -> None:
    node()
    good = load(SHARED_CASES / "salt-community.json")["event"]
    bad = good | {"event_id": str(uuid.uuid4()), "referral": {"child": {"given_name": CANARIES[0]}}}
    poison = {"event_type": "referral.submitted", "note": CANARIES[0]}
    dlq = f"{TOPIC_SUBMITTED}.dlq"
    records = [
        {"topic": TOPIC_SUBMITTED, "partition": 0, "offset": 0, "key": good["child_id"], "headers": _headers(good),
         "value": json.dumps(good)},
        {"topic": TOPIC_SUBMITTED, "partition": 0, "offset": 1, "key": good["child_id"],
         "headers": _headers(bad, ce_id=str(uuid.uuid4()), **{"event-id": "not-a-uuid"}), "value": json.dumps(bad)},
        {"topic": TOPIC_SUBMITTED, "partition": 0, "offset": 2, "key": good["child_id"], "headers": {},
         "value": json.dumps(poison)},
        {"topic": dlq, "partition": 0, "offset": 0, "key": good["child_id"], "value": json.dumps(poison),
         "headers": {"content-type": "application/json", "x-error": "ValidationError: event_id missing",
                     "x-original-topic": TOPIC_SUBMITTED, "x-original-partition": "0", "x-original-offset": "2",
                     "x-attempts": "1"}},
    ]
    file = tmp_path / "records.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, summary, err = await consume("--file", str(file))
    shown = json.dumps(summary)
    assert code == 1, shown
    problems = {p["what"]: p["errors"] for p in summary["problems"] if p["offset"] == "1"}
    assert {p["offset"] for p in summary["problems"]} == {"1"}, shown  # the good record and the dead letter pass
    assert "/referral/child: required family_name" in problems["the payload does not match the message "
                                                               "referral.submitted"], shown
    assert "/event-id: format uuid" in problems["the headers do not match the message referral.submitted"], shown
    assert problems["the CloudEvents headers do not match the event"] == [
        "ce_id: differs from the event-id header", "ce_id: differs from the payload's event_id"], shown
    assert [(d["offset"], d["what"]) for d in summary["dead_lettered"]] == [
        ("2", "the payload does not match the message referral.submitted"),
        ("2", "the headers do not match the message referral.submitted"),
        ("2", "the CloudEvents headers do not match the event")], shown
    assert summary["by_type"] == {"referral.submitted": 3, "dead-letter": 1}
    assert not any(c in shown for c in CANARIES)
