"""`frontdoor dsr agenda` prints the meeting's agenda from the database, for a meeting without the portal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import pytest

from schemas import TriageDecided
from services.common.db import make_engine, session_scope
from services.common.ids import derived_id
from services.dsr.handlers import apply_decision
from tests.cases import ROOT
from tests.integration.test_dsr import decision_bytes

pytestmark = pytest.mark.integration


def test_the_agenda_command_lists_pending_entries(database_url: str) -> None:
    now = datetime.now(timezone.utc)
    events = [TriageDecided.model_validate_json(decision_bytes(case, uuid.uuid4()))
              for case in ("dsr-amber-placement", "dsr-red")]
    with session_scope(make_engine(database_url)) as session:
        for event in events:
            assert apply_decision(session, event, now)
    expected = {str(derived_id(e.event_id, "dsr.entry")): e.dsr.suggested_rating for e in events}
    env = os.environ | {"DATABASE_URL": database_url}

    def agenda(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "services.cli", "dsr", "agenda", *args], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    items = {i["entry_id"]: i for i in json.loads(agenda("--json"))}
    for entry_id, suggested in expected.items():
        assert items[entry_id]["status"] == "pending_review" and items[entry_id]["suggested_rating"] == suggested
        assert items[entry_id]["review_track"] == "CETR"
    table = agenda().splitlines()
    assert table[0].split()[:4] == ["#", "Name", "Age", "Track"]
    assert len(table) == 2 + len(items)
