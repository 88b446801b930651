"""What every browser module shares: one stack as `make run DEMO=1` starts it and one Chromium for the whole package
(a stack of their own cost each module 35 to 55 s of start-up on the loaded 2-core machine).

The modules stay independent of each other and of their order (checked by running them in reverse): each one works
on referrals, children and people of its own, or on demo items no other module changes (the front door's queue
items, Noah's held requests, the SENCO's referral that needs information). Where a test takes the first row of a
kind, its demo item comes first whatever other modules added (the demo's items are the oldest, and the queue puts
the earliest clock first); a child of its own is found by full name; the manual reviews are counted against the
count before (the portal module's import adds two); no module's children are near matches of another's, so the
demo's pair is the only possible duplicate.
Every browser context a test opens is closed after it, so the shared Chromium does not grow."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.common.embedded_broker import free_port
from tests.cases import ROOT

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ports = {name: free_port() for name in ("INTAKE_PORT", "TRIAGE_PORT", "DSR_PORT", "WORKLISTS_PORT", "PORTAL_PORT")}
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    database = tmp_path_factory.mktemp("portal") / "portal.db"
    env |= {k: str(v) for k, v in ports.items()} | {"DATABASE_URL": f"sqlite:///{database}", "LOG_FORMAT": "json"}
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "dev", "--demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 150
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen.append(line)
        if "press Ctrl-C" in line or not line:
            break
    assert any("press Ctrl-C" in line for line in seen), "".join(seen[-40:])
    # Keep reading its output: a full pipe would block every service that logs.
    # It alone reads the pipe until the stack exits (a second reader at teardown would close it under this one).
    drain = threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True)  # type: ignore[union-attr]
    drain.start()
    try:
        yield f"http://127.0.0.1:{ports['PORTAL_PORT']}"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        drain.join(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def closed_after_the_test(browser: Any) -> Iterator[None]:
    """The contexts (and so the pages) a test opened, closed when it ends: the next test starts from none."""
    yield
    for context in list(browser.contexts):
        context.close()
