"""The whole system as it runs in production, for fault tests and the soak: every service its own
process (`frontdoor serve ...`), the embedded broker and PostgreSQL each behind a fault proxy.

The broker listens on one port and advertises the proxy's, so every connection a client makes,
bootstrap or leader, goes through the proxy. Loopback only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.common.auth import mint_dev_token
from services.common.embedded_broker import EmbeddedBroker, free_port
from services.common.settings import Settings
from tests.faults.proxy import ProxyThread, database_port, through_proxy

ROOT = Path(__file__).resolve().parents[2]
GRACEFUL_SECONDS = 10


@dataclass
class Process:
    name: str
    index: int
    port: int
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None

    @property
    def label(self) -> str:
        return f"{self.name}-{self.index}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - our own CLI, no shell
                [sys.executable, "-m", "services.cli", "serve", self.name, "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.popen is not None
            os.killpg(self.popen.pid, sig)

    def wait(self, timeout: float) -> int | None:
        if self.popen is None:
            return None
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.popen.wait(timeout=10)

    def ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class System:
    """`with System(database_url, workdir, triage=2).running() as system:`; `database_url` is the
    direct address (the checker uses it); the services reach PostgreSQL through `db_proxy`."""

    database_url: str
    workdir: Path
    intake: int = 1
    triage: int = 1
    dsr: int = 1
    worklists: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    process_env: dict[str, dict[str, str]] = field(default_factory=dict)  # by label, e.g. "triage-0"
    prefix: str = field(default_factory=lambda: f"sys-{uuid.uuid4().hex[:6]}")
    processes: list[Process] = field(default_factory=list)
    broker: EmbeddedBroker | None = None
    broker_proxy: ProxyThread | None = None
    db_proxy: ProxyThread | None = None

    @property
    def bootstrap(self) -> str:
        assert self.broker is not None
        return self.broker.bootstrap

    @property
    def settings(self) -> Settings:
        return Settings(kafka_bootstrap_servers=self.bootstrap, database_url=self.database_url)

    def start(self) -> None:
        import asyncio

        from services.topics import all_topics, ensure_topics

        self.workdir.mkdir(parents=True, exist_ok=True)
        broker_port = free_port()
        self.broker_proxy = ProxyThread(broker_port).start()
        self.broker = EmbeddedBroker(port=broker_port, advertised_port=self.broker_proxy.port,
                                     log_file=self.workdir / "tansu.log")
        self.broker.start()
        asyncio.run(ensure_topics(self.bootstrap, all_topics(partitions=4)))
        service_db = self.database_url
        if self.database_url.startswith("postgresql"):
            self.db_proxy = ProxyThread(database_port(self.database_url)).start()
            service_db = through_proxy(self.database_url, self.db_proxy.port)
        env = os.environ | {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "DATABASE_URL": service_db, "KAFKA_FAST_REBALANCE": "true",
            "KAFKA_GROUP_PREFIX": self.prefix, "LOG_FORMAT": "json", "OUTBOX_POLL_SECONDS": "0.2",
            "GRACEFUL_TIMEOUT_SECONDS": str(GRACEFUL_SECONDS), "STARTUP_TIMEOUT_SECONDS": "60",
            "BREACH_CHECK_SECONDS": "3600",
            **self.extra_env,
        }
        env.pop("FRONTDOOR_FAULT_KILL_AFTER_COMMIT", None)
        counts = (("intake", self.intake), ("triage", self.triage), ("dsr", self.dsr), ("worklists", self.worklists))
        for name, count in counts:
            for i in range(count):
                own = env | self.process_env.get(f"{name}-{i}", {})
                self.processes.append(Process(name, i, free_port(), self.workdir / f"{name}-{i}.log", own))
        for p in self.processes:
            p.start()
        self.wait_ready(self.processes, timeout=120)

    def wait_ready(self, processes: list[Process], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(processes)
        while pending:
            dead = [p.label for p in pending if not p.alive()]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"not ready: {', '.join(p.label for p in pending)} (exited: {dead}); "
                                   f"logs in {self.workdir}")
            pending = [p for p in pending if not p.ready()]
            if pending:
                time.sleep(0.3)

    def stop(self) -> None:
        for p in self.processes:
            p.signal(signal.SIGTERM)
        for p in self.processes:
            p.wait(timeout=GRACEFUL_SECONDS + 10)
        for proxy in (self.db_proxy, self.broker_proxy):
            if proxy is not None:
                proxy.stop()
        if self.broker is not None:
            self.broker.stop()

    @contextmanager
    def running(self) -> Iterator[System]:
        try:
            self.start()
            yield self
        finally:
            self.stop()

    def of(self, name: str) -> list[Process]:
        return [p for p in self.processes if p.name == name]

    def restart(self, process: Process, *, wait: bool = True) -> None:
        """Start a process that has stopped (reaped first) again, on its port."""
        assert not process.alive(), f"{process.label} is still running"
        process.wait(timeout=1)
        process.start()
        if wait:
            self.wait_ready([process], timeout=120)

    def token(self, role: str = "referrer", subject: str = "fault-referrer") -> str:
        return mint_dev_token(self.settings, subject=subject, roles=[role])

    def intake_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p.port}" for p in self.of("intake")]


class Submitter:
    """Submits referrals to intake round-robin over its instances, as a referrer would: a request
    that fails (an instance down or restarting) is sent again to the next instance with the same
    client reference, so a retry never makes a second referral."""

    def __init__(self, system: System, *, subject: str = "fault-referrer"):
        self.system = system
        self.headers = {"Authorization": f"Bearer {system.token(subject=subject)}"}
        self.client = httpx.Client(timeout=30)
        self.accepted: dict[str, str] = {}  # client reference -> referral id
        self.retries = 0
        self._turn = 0

    def submit(self, body: dict[str, Any], *, attempts: int = 60) -> str:
        reference = body.setdefault("client_reference", uuid.uuid4().hex)
        urls = self.system.intake_urls()
        for attempt in range(attempts):
            url = urls[self._turn % len(urls)]
            self._turn += 1
            try:
                response = self.client.post(f"{url}/referrals", json=body, headers=self.headers)
                if response.status_code in (200, 201, 202):
                    rid = str(response.json()["referral_id"])
                    previous = self.accepted.setdefault(reference, rid)
                    assert previous == rid, "the same client reference made two referrals"
                    return rid
                if response.status_code < 500:
                    raise AssertionError("intake refused a valid referral: "
                                         f"HTTP {response.status_code} {response.text[:300]}")
            except httpx.HTTPError:
                pass
            self.retries += 1
            time.sleep(min(0.1 * (attempt + 1), 1.0))
        raise AssertionError(f"intake did not take a referral after {attempts} attempts")

    def close(self) -> None:
        self.client.close()


def unpublished(system: System) -> int:
    """Outbox rows not yet published, every service's outbox (read directly, not through the proxy)."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from services.common.db import make_engine
    from services.common.tables import OutboxMessage

    engine = make_engine(system.database_url)
    try:
        with Session(engine) as s:
            query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
            return int(s.exec(query).one())
    finally:
        engine.dispose()


def backlog(system: System) -> tuple[int, int]:
    """(records not yet committed by every consumer group, outbox rows not yet published)."""
    import asyncio

    from tests.kafka_tools import lag

    return asyncio.run(lag(system.bootstrap, system.prefix)), unpublished(system)


def wait_settled(system: System, *, timeout: float) -> float:
    """Wait until nothing is left to publish or consume (twice in a row: a relay may be mid-batch);
    returns the monotonic time it was first seen settled."""
    deadline = time.monotonic() + timeout
    first: float | None = None
    last: tuple[int, int] = (-1, -1)
    while time.monotonic() < deadline:
        last = backlog(system)
        if last == (0, 0):
            if first is not None:
                return first
            first = time.monotonic()
        else:
            first = None
        time.sleep(1)
    raise AssertionError(f"not settled within {timeout:.0f} s: lag {last[0]}, unpublished outbox rows {last[1]}")


class Load:
    """Referrals submitted at a steady rate from a thread, until stopped: `with Load(...) as load:`."""

    def __init__(self, submitter: Submitter, bodies: Iterator[dict[str, Any]], *, rate: float):
        import threading

        self.submitter, self.bodies, self.rate = submitter, bodies, rate
        self.ids: list[str] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            try:
                self.ids.append(self.submitter.submit(next(self.bodies)))
            except BaseException as exc:  # noqa: BLE001 - reported by stop()
                self.errors.append(exc)
                return
            behind = started + len(self.ids) / self.rate - time.monotonic()
            if behind > 0:
                self._stop.wait(behind)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(timeout=120)
        if self.errors:
            raise AssertionError(f"submitting failed: {self.errors[0]!r}") from self.errors[0]
        return self.ids
