"""A person's decisions on the front door under faults (issue 11, the second "Done when").

While a load of referrals runs (some of them ones the rules leave to a person: manual_review), a person
on the front door overrides decided referrals through intake's API, the kinds in turn: a route added to
a manual_review referral, a route withdrawn, a priority changed, a referral closed. Meanwhile every
consumer (triage, intake, the register, the worklists) is killed by the fault hook between its durable
effect and its offset commit and restarted, and one request of each kind is read back from the referrals
topic and published three more times, raw. Then the worklists are killed once more in their outcomes
group, in the middle of a stream of withdrawals. Once every consumer group has caught up, the invariant
checker (which folds overrides) finds nothing lost and nothing duplicated, every person's decision applied
exactly once (one `triage.overridden` id per request), its new requests on the worklists and its
withdrawn ones withdrawn — which the worklist rows confirm too."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_SUBMITTED
from services.common.db import make_engine
from services.common.ids import derived_id
from services.intake.tables import FrontDoorDecision
from services.worklists.tables import WorklistItem
from tests.faults.load import case_referral, case_referrals, referral_bodies
from tests.faults.system import GRACEFUL_SECONDS, Load, Submitter, System, wait_settled
from tests.invariants import check
from tests.kafka_tools import produce_raw, read_topic

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]
HOOK = "FRONTDOOR_FAULT_KILL_AFTER_COMMIT"
# Late enough that people's decisions are already flowing when each consumer dies (about 4 s into the load).
DOOMED = {"triage-0": "triage@40", "intake-0": "intake@60", "dsr-0": "dsr@8", "worklists-0": "worklists@80"}
PERSON = "fd-practitioner"
WHY = "Decided by the front door after speaking with the referrer and the school"
SIGNPOST = "The family hub at the local children's centre"
KINDS = ("add_route", "withdraw_route", "change_priority", "close")
REPEATS = 3  # each chosen request published this many more times
# Every worked case, and the one the rules leave to a person (manual_review) seven times as often.
CASES = case_referrals() + [case_referral("manual-review")] * 6


class FrontDoor:
    """A person on the front door deciding from a thread, one decision every `every` seconds, the kinds
    in turn: a route added to a manual_review referral; a request withdrawn, re-prioritised, or every
    request closed on a routed one; never twice on one referral. A request that gets no answer (an intake
    instance down) goes again to the next instance; refused after that, it may have been taken: `unsure`."""

    def __init__(self, system: System, load: Load, *, every: float):
        self.system, self.load, self.every = system, load, every
        self.client = httpx.Client(timeout=30)
        self.referrer = {"Authorization": f"Bearer {system.token(subject='fault-referrer')}"}  # the Submitter's
        self.person = {"Authorization": f"Bearer {system.token(role='front_door', subject=PERSON)}"}
        self.made: dict[str, tuple[str, str]] = {}  # decision id -> (referral id, kind)
        self.at: list[float] = []  # when each was accepted (monotonic)
        self.unsure: list[str] = []
        self.manual: list[str] = []  # manual_review referrals not yet decided by a person
        self.routed: list[dict[str, Any]] = []  # routed referrals (their views), requests open, not yet overridden
        self.errors: list[BaseException] = []
        self._pending: list[str] = []
        self._seen = 0
        self._turn = 0
        self._kind = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="front-door", daemon=True)

    def start(self) -> FrontDoor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        if self.errors:
            raise AssertionError(f"the front door failed: {self.errors[0]!r}") from self.errors[0]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._scan()
                for i in range(len(KINDS)):
                    kind = KINDS[(self._kind + i) % len(KINDS)]
                    found = self._candidate(kind)
                    if found is not None:
                        self.decide(found[0], kind, found[1])
                        self._kind += i + 1
                        break
            except BaseException as exc:  # noqa: BLE001 - reported by stop()
                self.errors.append(exc)
                return
            self._stop.wait(self.every)

    def _url(self) -> str:
        urls = self.system.intake_urls()
        self._turn += 1
        return urls[self._turn % len(urls)]

    def _scan(self) -> None:
        """Sort the referrals decided since the last look (at most 30 a turn) into the pools."""
        ids = list(self.load.ids)
        self._pending += ids[self._seen:]
        self._seen = len(ids)
        undecided = []
        for rid in self._pending[:30]:
            try:
                response = self.client.get(f"{self._url()}/referrals/{rid}", headers=self.referrer)
            except httpx.HTTPError:
                undecided.append(rid)
                continue
            view = response.json() if response.status_code == 200 else {}
            if view.get("status") != "decided" or view.get("decision") is None:
                undecided.append(rid)
            elif view["decision"]["outcome"] == "manual_review" and not view["service_requests"]:
                self.manual.append(rid)
            elif view["decision"]["outcome"] == "routed" and any(r["status"] == "created"
                                                                  for r in view["service_requests"]):
                self.routed.append(view)
        self._pending = undecided + self._pending[30:]

    def _candidate(self, kind: str) -> tuple[str, list[dict[str, Any]]] | None:
        if kind == "add_route":
            rid = self.manual.pop(0) if self.manual else None
            return None if rid is None else (rid, [{"kind": kind, "service": "salt", "pathway": "community",
                                                    "priority": "urgent"}])
        if not self.routed:
            return None
        view = self.routed.pop(0)
        return view["referral_id"], changes_of(kind, view)

    def decide(self, rid: str, kind: str, changes: list[dict[str, Any]]) -> None:
        body = {"rationale": WHY, "changes": changes}
        unanswered = False
        for attempt in range(60):
            try:
                response = self.client.post(f"{self._url()}/front-door/referrals/{rid}/decision", json=body,
                                            headers=self.person)
            except httpx.HTTPError:
                unanswered = True
            else:
                if response.status_code == 202:
                    self.made[response.json()["decision_id"]] = (rid, kind)
                    self.at.append(time.monotonic())
                    return
                if response.status_code < 500:
                    if unanswered and response.status_code in (409, 422):
                        self.unsure.append(rid)
                        return
                    raise AssertionError(f"intake refused a person's decision ({kind}): "
                                         f"HTTP {response.status_code} {response.text[:300]}")
            time.sleep(min(0.1 * (attempt + 1), 1.0))
        raise AssertionError(f"intake did not take a person's decision ({kind}) after 60 attempts")


def changes_of(kind: str, view: dict[str, Any]) -> list[dict[str, Any]]:
    """A change of `kind` to a routed referral's first open request (close: to all of them)."""
    request = next(r for r in view["service_requests"] if r["status"] == "created")
    if kind == "withdraw_route":
        return [{"kind": kind, "service_request_id": request["service_request_id"]}]
    if kind == "change_priority":
        priority = "soon" if request["priority"] == "urgent" else "urgent"
        return [{"kind": kind, "service_request_id": request["service_request_id"], "priority": priority}]
    return [{"kind": "close", "signpost": SIGNPOST}]


async def republish(bootstrap: str, made: dict[str, tuple[str, str]]) -> list[str]:
    """One person's request of each kind, its record read back from the referrals topic (key, value and
    headers as they are) and published REPEATS more times; [] until every kind is on the topic."""
    chosen: dict[str, Any] = {}
    for record in await read_topic(bootstrap, TOPIC_SUBMITTED):
        event = json.loads(record.value)
        if event["event_type"] == "referral.override_requested" and event["event_id"] in made:
            chosen.setdefault(made[event["event_id"]][1], record)
    if set(chosen) != set(KINDS):
        return []
    for record in chosen.values():
        await produce_raw(bootstrap, TOPIC_SUBMITTED, [(record.key, record.value)] * REPEATS,
                          headers=list(record.headers))
    return [json.loads(r.value)["event_id"] for r in chosen.values()]


def restarted_on_kill(system: System, killed: dict[str, float], doomed: set[str]) -> None:
    """Restart (without the hook) each doomed process the hook has killed."""
    for p in system.processes:
        if p.label in doomed and p.label not in killed and not p.alive():
            assert p.wait(timeout=1) == -signal.SIGKILL, f"{p.label} died, not by the hook"
            killed[p.label] = time.monotonic()
            p.env = {k: v for k, v in p.env.items() if k != HOOK}
            system.restart(p, wait=False)


def test_people_override_decisions_while_every_consumer_is_killed_and_each_is_applied_once(
        fresh_database_url: str, tmp_path: Path) -> None:
    system = System(fresh_database_url, tmp_path / "system", intake=2, triage=2,
                    process_env={label: {HOOK: value} for label, value in DOOMED.items()})
    killed: dict[str, float] = {}
    with system.running():
        started = time.monotonic()
        with Load(Submitter(system), referral_bodies(seed=11, cases=CASES), rate=20) as load:
            person = FrontDoor(system, load, every=0.3).start()
            try:
                deadline = time.monotonic() + 60
                while len(killed) < len(DOOMED):
                    assert time.monotonic() < deadline, f"not every hook fired: {sorted(set(DOOMED) - killed)}"
                    restarted_on_kill(system, killed, set(DOOMED))
                    time.sleep(0.2)
                # One request of each kind, three more times, while the restarted consumers catch up.
                republished: list[str] = []
                while not republished:
                    assert time.monotonic() < deadline, f"not every kind of decision made: {person.made}"
                    republished = asyncio.run(republish(system.bootstrap, dict(person.made)))
                time.sleep(3)  # and a little more of both on the restarted processes
            finally:
                person.stop()
        system.wait_ready(system.processes, timeout=120)
        wait_settled(system, timeout=60)
        phase_one = time.monotonic()

        # The worklists killed in their outcomes group after the second of three withdrawals: nothing
        # else is flowing, so the hook's commits are that group's.
        worklists = system.of("worklists")[0]
        worklists.signal(signal.SIGTERM)
        worklists.wait(timeout=GRACEFUL_SECONDS + 10)
        worklists.env = worklists.env | {HOOK: "worklists@2"}
        logged = worklists.log.stat().st_size
        system.restart(worklists)
        assert len(person.routed) >= 3, "too few routed referrals left to withdraw from"
        for view in person.routed[:3]:
            person.decide(view["referral_id"], "withdraw_route", changes_of("withdraw_route", view))
        deadline = time.monotonic() + 30
        while worklists.alive():
            assert time.monotonic() < deadline, "the worklists' outcomes group was never killed by the hook"
            time.sleep(0.2)
        again: dict[str, float] = {}
        restarted_on_kill(system, again, {worklists.label})
        assert again, "the worklists were not restarted"
        system.wait_ready(system.processes, timeout=120)
        wait_settled(system, timeout=60)
        with worklists.log.open("rb") as log:
            log.seek(logged)
            seen = [json.loads(line) for line in log if line.startswith(b"{")]
        assert [e["outcome"] for e in seen if e.get("group") == "worklists.outcomes"].count("duplicate") >= 1, \
            "the withdrawal the worklists had applied when killed was not delivered again"

        report = asyncio.run(check(system.bootstrap, fresh_database_url, load.ids))
        print(f"\noverrides under faults: {report.summary()}; {len(person.made)} decisions by a person "
              f"({len(person.unsure)} unsure), first at {min(person.at) - started:.1f} s, kills at "
              + ", ".join(f"{label} {at - started:.1f} s" for label, at in sorted(killed.items(), key=lambda i: i[1]))
              + f"; settled at {phase_one - started:.1f} s, done at {time.monotonic() - started:.1f} s")
        assert report.ok, report.explain()
        assert report.decisions == len(load.ids) > 100

        # Decisions by a person were in flight across every kill of the first phase.
        first_kill, last_kill = min(killed[label] for label in DOOMED), max(killed[label] for label in DOOMED)
        assert min(person.at) < first_kill < last_kill < max(person.at)
        kinds = [kind for _, kind in person.made.values()]
        assert all(kinds.count(kind) >= 2 for kind in KINDS), kinds
        assert report.redelivered >= REPEATS * len(republished)

        with Session(make_engine(fresh_database_url)) as session:
            ids = [uuid.UUID(r) for r in load.ids]
            rows = session.exec(select(FrontDoorDecision).where(col(FrontDoorDecision.referral_id).in_(ids))).all()
            items = {str(i.id): i for i in session.exec(
                select(WorklistItem).where(col(WorklistItem.referral_id).in_(ids))).all()}
        assert set(person.made) <= {str(r.id) for r in rows}
        assert len(person.made) <= len(rows) <= len(person.made) + len(person.unsure)
        assert report.overrides == len(rows)  # one triage.overridden per decision, however often delivered
        for row in rows:
            assert row.applied_event_id == derived_id(row.id, "triage.overridden")
            assert_applied_on_worklists(row, items)


def assert_applied_on_worklists(row: FrontDoorDecision, items: dict[str, WorklistItem]) -> None:
    """What a person's decision asked for, as the worklists show it."""
    def request(service: str, pathway: str, priority: str) -> WorklistItem:
        item = items.get(str(derived_id(row.id, "request", service, pathway, priority)))
        assert item is not None, f"decision {row.id}: no {service} request on the worklist"
        assert (item.status, item.priority) == ("created", priority), f"decision {row.id}: {item.status}"
        return item

    for change in row.changes:
        if change["kind"] == "add_route":
            request(change["service"], change["pathway"], change["priority"])
        elif change["kind"] == "close":
            assert {i.status for i in items.values() if i.referral_id == row.referral_id} == {"withdrawn"}
        else:
            old = items[change["service_request_id"]]
            assert (old.status, old.actor) == ("withdrawn", PERSON), f"decision {row.id}: {old.status}"
            if change["kind"] == "change_priority":
                request(old.service, old.pathway, change["priority"])
