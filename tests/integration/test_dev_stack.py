"""`make run DEMO=1` as a newcomer runs it: the whole stack starts, demo referrals are decided and
visible through the API, and Ctrl-C stops every process, broker included."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from services.common.auth import mint_dev_token
from services.common.embedded_broker import free_port
from services.common.settings import Settings
from tests.cases import ROOT

pytestmark = pytest.mark.integration


def test_dev_stack_with_demo_data_starts_decides_and_stops_cleanly(tmp_path: Path) -> None:
    intake_port, dsr_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env |= {"INTAKE_PORT": str(intake_port), "TRIAGE_PORT": str(free_port()), "DSR_PORT": str(dsr_port),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}", "LOG_FORMAT": "json"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "dev", "--demo"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 150
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "press Ctrl-C" in line:
                break
        text = "".join(output)
        assert "8 of 8 demo referrals decided" in text, text[-3000:]
        assert "advice asked (201, 201), one answered by SALT (200)" in text, text[-3000:]  # and one unanswered
        assert re.search(r"routed: safeguarding/mash urgent, semh/\w+ routine \(held\)", text)
        worklists = re.search(r"worklists: safeguarding (\d+), semh (\d+), counselling (\d+), salt (\d+), "
                              r"early_help (\d+)", text)
        assert worklists and all(int(n) >= 1 for n in worklists.groups()), text[-2000:]
        # the demo puts one item of each kind on the front-door queue
        queue_line = next((line for line in output if "front-door queue:" in line), "")
        for reason in ("emergency", "manual_review", "out_of_scope", "needs_information", "possible_duplicate",
                       "dead_letter"):
            found = re.search(rf"\b{reason} (\d+)", queue_line)
            assert found and int(found.group(1)) >= 1, (reason, queue_line)
        drain = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]  # a full pipe would block the services
        drain.start()
        token = next(line.strip() for line in output if line.count(".") == 2 and line.startswith("eyJ"))
        panel_token = mint_dev_token(Settings(), subject="panel", roles=["dsr_panel"])
        listing = httpx.get(f"http://127.0.0.1:{intake_port}/referrals", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
        assert listing.status_code == 200
        assert sorted({r["status"] for r in listing.json()}) == ["decided"] and len(listing.json()) == 8
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 6  # the broker, intake, triage, the register, the worklists and the portal
        agenda = httpx.get(f"http://127.0.0.1:{dsr_port}/dsr/agenda",
                           headers={"Authorization": f"Bearer {panel_token}"}, timeout=10)
        # awaiting review: the two demo DSR candidates and an adult added to the register directly
        assert agenda.status_code == 200 and len(agenda.json()) == 3
        assert [(a["source"], a["age_band"]) for a in agenda.json() if a["source"] == "direct"] == [("direct", "26+")]
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        proc.wait(timeout=60)
    drain.join(timeout=10)
    assert proc.returncode == 0
    assert "frontdoor dev | stopped" in "".join(output)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
