"""The soak: the whole system under steady load with random faults, then the invariant checker.

    make soak                                  # 10 minutes at 50 referrals/s (needs PostgreSQL)
    .venv/bin/python -m bench.soak --minutes 2 --rate 20 --seed 3

Every service runs as its own process (two intakes, two triages, the register, the worklists),
the embedded broker and PostgreSQL each behind a fault proxy, all on 127.0.0.1. Referrals are
submitted through intake's API as a referrer would (a failed request is retried with the same
client reference). Every 15-35 s one fault from FAULTS is injected at random; at the end every
fault is healed, the system drains, and the checker compares what was submitted with every topic
and table. Not part of `make test` (it is slow); the figures go to stdout and var/soak-report.json.
Exit status 0 only when nothing was lost and nothing doubled.

Intake's safety net runs with UNDECIDED_REDRIVE_SECONDS=60. `undecided_at_settle` counts referrals
still undecided once everything had drained: messages lost somewhere, which the safety net then
sent again; it is reported, not hidden. `redriven_by_intake` also counts referrals sent again
while a backlog was still being worked through (harmless duplicates)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.databases import temporary_schema
from tests.faults.load import referral_bodies
from tests.faults.proxy import ProxyThread
from tests.faults.system import Load, Process, Submitter, System, backlog, wait_settled
from tests.invariants import check

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ("broker_blackhole", "broker_reset", "broker_latency",
          "db_blackhole", "db_reset", "db_latency", "sigkill", "sigterm")
REDRIVE_SECONDS = 60  # intake publishes an undecided referral's event again after this long
# Submitting threads: one HTTP client waiting on each response cannot keep 50 a second going,
# nor catch up after a fault.
LOADERS = 10


class Faults:
    """Injects one fault at a time, heals it when due (without blocking the caller), restarts the
    processes it stopped, and counts what it did."""

    def __init__(self, system: System, rng: random.Random, log: Any):
        self.system, self.rng, self.say = system, rng, log
        self.injected: Counter[str] = Counter()
        self.down: list[tuple[float, Process]] = []  # processes to restart, and when
        self.healing: tuple[float, Callable[[], None]] | None = None

    @property
    def busy(self) -> bool:
        return self.healing is not None

    def inject(self) -> None:
        kind = self.rng.choice(FAULTS)
        self.injected[kind] += 1
        broker, db = self.system.broker_proxy, self.system.db_proxy
        assert broker is not None and db is not None
        proxy = broker if kind.startswith("broker") else db
        if kind.endswith("_blackhole"):
            seconds = self.rng.uniform(5, 20)
            self.say(f"fault: {kind} for {seconds:.0f} s")
            proxy.set("blackhole")
            self.healing = (time.monotonic() + seconds, lambda: self.drop_connections(proxy))
        elif kind.endswith("_reset"):
            self.say(f"fault: {kind} (every connection dropped)")
            self.drop_connections(proxy)
        elif kind.endswith("_latency"):
            seconds, delay = self.rng.uniform(5, 15), (0.2 if proxy is broker else 0.05)
            self.say(f"fault: {kind} {delay * 1000:.0f} ms for {seconds:.0f} s")
            proxy.set("latency", latency=delay)
            self.healing = (time.monotonic() + seconds, lambda: proxy.set("pass"))
        else:
            victim = self.rng.choice([p for p in self.system.processes if p.alive()])
            self.say(f"fault: {kind} {victim.label}")
            victim.signal(signal.SIGKILL if kind == "sigkill" else signal.SIGTERM)
            victim.wait(timeout=30)
            self.down.append((time.monotonic() + self.rng.uniform(1, 5), victim))

    @staticmethod
    def drop_connections(proxy: ProxyThread) -> None:
        proxy.set("reset")
        proxy.set("pass")

    def tick(self, *, all_now: bool = False) -> None:
        if self.healing is not None and (all_now or self.healing[0] <= time.monotonic()):
            self.healing[1]()
            self.healing = None
        for due in [d for d in self.down if all_now or d[0] <= time.monotonic()]:
            self.down.remove(due)
            self.system.restart(due[1], wait=False)
        # A process that stopped by itself (it must not) is restarted too, and counted.
        for p in self.system.processes:
            if not p.alive() and all(p is not d[1] for d in self.down):
                self.injected["unplanned_exit"] += 1
                self.say(f"{p.label} exited by itself (code {p.popen.returncode if p.popen else '?'}); restarting")
                self.system.restart(p, wait=False)

    def heal(self) -> None:
        self.tick(all_now=True)
        for proxy in (self.system.broker_proxy, self.system.db_proxy):
            if proxy is not None and proxy.mode != "pass":
                proxy.set("pass")
        self.system.wait_ready(self.system.processes, timeout=180)


def behind(system: System) -> tuple[int, str] | None:
    """(records not yet consumed plus events not yet published, the group furthest behind); None
    when the broker does not answer within a few seconds (a fault is on)."""
    from tests.faults.system import unpublished
    from tests.kafka_tools import lags

    async def measure() -> dict[str, int]:
        return await asyncio.wait_for(lags(system.bootstrap, system.prefix), timeout=5)

    try:
        by_group = asyncio.run(measure())
        return sum(by_group.values()) + unpublished(system), max(by_group, key=lambda g: by_group[g])
    except Exception:  # noqa: BLE001 - a progress figure, never a reason to stop
        return None


async def triage_offsets(system: System) -> dict[int, tuple[int | None, int]]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from schemas import TOPIC_SUBMITTED

    consumer = AIOKafkaConsumer(bootstrap_servers=system.bootstrap, group_id=f"{system.prefix}.triage",
                                enable_auto_commit=False)
    try:
        await consumer.start()
        parts = [TopicPartition(TOPIC_SUBMITTED, p) for p in range(4)]
        end = await consumer.end_offsets(parts)
        return {tp.partition: (await consumer.committed(tp), end[tp]) for tp in parts}
    finally:
        await consumer.stop()


def undecided(database_url: str, ids: list[str]) -> int:
    import uuid

    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from services.common.db import make_engine
    from services.intake.tables import ReferralRecord

    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            query = select(func.count()).select_from(ReferralRecord).where(
                col(ReferralRecord.id).in_([uuid.UUID(i) for i in ids]), ReferralRecord.status == "submitted")
            return int(s.exec(query).one())
    finally:
        engine.dispose()


def bar(done: float, width: int = 30) -> str:
    filled = int(width * min(done, 1.0))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def soak(database_url: str, *, minutes: float, rate: float, seed: int, workdir: Path, faults_on: bool = True,
         fault_gap: tuple[float, float] = (15, 35)) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible fault schedule, not a secret
    started = time.monotonic()

    def say(message: str) -> None:
        print(f"soak {time.monotonic() - started:6.0f}s | {message}", flush=True)

    system = System(database_url, workdir, intake=2, triage=2,
                    extra_env={"UNDECIDED_REDRIVE_SECONDS": str(REDRIVE_SECONDS)})
    with system.running():
        say(f"system up: {', '.join(p.label for p in system.processes)}; logs in {workdir}")
        faults = Faults(system, rng, say)
        loads = [Load(Submitter(system, subject=f"soak-{i}"), referral_bodies(seed=seed * 10 + i, start=i * 30_000),
                      rate=rate / LOADERS)
                 for i in range(LOADERS)]
        for load in loads:
            load.__enter__()
        duration = minutes * 60
        load_start = time.monotonic()
        next_fault = load_start + rng.uniform(10, 20)
        next_report = load_start + 10
        most_behind = 0
        try:
            while (elapsed := time.monotonic() - load_start) < duration:
                if any(load.errors for load in loads):
                    break
                faults.tick()
                if faults_on and not faults.busy and time.monotonic() >= next_fault:
                    faults.inject()
                    next_fault = time.monotonic() + rng.uniform(*fault_gap)
                if time.monotonic() >= next_report:
                    elapsed = time.monotonic() - load_start
                    submitted = sum(len(load.ids) for load in loads)
                    waiting = behind(system)
                    if waiting is not None:
                        most_behind = max(most_behind, waiting[0])
                    shown = "?" if waiting is None else f"{waiting[0]} (most: {waiting[1]})" if waiting[0] else "0"
                    say(f"{bar(elapsed / duration)} {elapsed / 60:4.1f}/{minutes:g} min  submitted {submitted} "
                        f"({submitted / max(elapsed, 1):.1f}/s)  backlog {shown}  "
                        f"faults {sum(faults.injected.values())}"
                        + ("  (fault active)" if faults.busy or faults.down else ""))
                    next_report = time.monotonic() + 10
                time.sleep(0.2)
        finally:
            ids = [rid for load in loads for rid in load.stop()]
        faults.heal()
        load_seconds = time.monotonic() - load_start
        say(f"load stopped after {load_seconds:.0f} s: {len(ids)} referrals ({len(ids) / load_seconds:.1f}/s); "
            "every fault healed, draining")
        healed = time.monotonic()
        settled = wait_settled(system, timeout=600)
        say(f"settled {settled - healed:.0f} s after healing")
        stuck = undecided(database_url, ids)
        if stuck:  # the safety net's turn: intake publishes such a referral's event again
            say(f"{stuck} referrals undecided after settling; waiting for intake to send them again")
            deadline = time.monotonic() + 5 * REDRIVE_SECONDS
            while undecided(database_url, ids) and time.monotonic() < deadline:
                time.sleep(5)
            wait_settled(system, timeout=300)
        redriven = sum(log.read_text(errors="replace").count("its event published again")
                       for log in workdir.glob("intake-*.log"))
        say("checking invariants")
        report = asyncio.run(check(system.bootstrap, database_url, ids))
        lag, unpublished = backlog(system)
        if not report.ok:
            say(f"where triage stands (partition: committed / end): {asyncio.run(triage_offsets(system))}")
    result = {
        "minutes": minutes, "target_rate": rate, "seed": seed, "referrals": report.referrals,
        "achieved_rate": round(len(ids) / load_seconds, 1), "decisions": report.decisions,
        "service_requests": report.service_requests, "dsr_entries": report.dsr_entries,
        "events_read": report.wire_records, "redelivered": report.redelivered,
        "submit_retries": sum(load.submitter.retries for load in loads),
        "faults": dict(faults.injected), "faults_total": sum(faults.injected.values()),
        "lost": len(report.lost), "duplicated": len(report.duplicated),
        "problems": (report.lost + report.duplicated)[:50],
        "undecided_at_settle": stuck, "redriven_by_intake": redriven, "max_backlog_seen": most_behind,
        "settle_seconds": round(settled - healed, 1), "final_lag": lag, "final_unpublished": unpublished,
    }
    print(report.explain(), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs PostgreSQL: --database-url, else TEST_DATABASE_URL, else the local default.")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to keep the load on (default 10)")
    parser.add_argument("--rate", type=float, default=50.0, help="referrals a second (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the load and the fault schedule (default 1)")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                        help="PostgreSQL to use; the soak makes a schema of its own there and drops it after")
    parser.add_argument("--fault-gap", type=float, nargs=2, default=(15.0, 35.0), metavar=("MIN", "MAX"),
                        help="seconds between one fault's end and the next, drawn at random (default 15 35)")
    parser.add_argument("--no-faults", action="store_true",
                        help="the same load with no faults (a baseline for the backlog figures)")
    parser.add_argument("--report", type=Path, default=ROOT / "var" / "soak-report.json",
                        help="where the figures go (JSON)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("the soak needs PostgreSQL (a database proxy sits in front of it)")
    workdir = ROOT / "var" / f"soak-{time.strftime('%Y%m%d-%H%M%S')}"
    with temporary_schema(args.database_url, prefix="frontdoor_soak") as url:
        result = soak(url, minutes=args.minutes, rate=args.rate, seed=args.seed, workdir=workdir,
                      faults_on=not args.no_faults, fault_gap=tuple(args.fault_gap))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "problems"}, indent=2))
    ok = result["lost"] == 0 and result["duplicated"] == 0
    print(f"soak {'PASSED' if ok else 'FAILED'}: {result['referrals']} referrals, "
          f"{result['faults_total']} faults injected, "
          f"lost {result['lost']}, duplicated {result['duplicated']}  (report: {args.report})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
