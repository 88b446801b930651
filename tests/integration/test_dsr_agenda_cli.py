"""`frontdoor dsr agenda` prints the meeting's agenda from the database, for a meeting without the portal."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from typing import Any

import pytest
from typer.testing import CliRunner

from schemas import TriageDecided
from services.cli import app as cli
from services.common.db import make_engine, session_scope
from services.common.ids import derived_id
from services.common.settings import get_settings
from services.common.workdays import WorkingCalendar
from services.dsr.direct import DirectIn, add_direct
from services.dsr.domain import Clock, Rating
from services.dsr.handlers import apply_decision
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

    def run(*args: str) -> Any:
        """The command called in this process (an interpreter per call was most of this test's time), its exit
        status, standard output and standard error kept apart; it reads DATABASE_URL."""
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, ["dsr", "agenda", *args], env={"DATABASE_URL": database_url})
        finally:
            get_settings.cache_clear()

    def agenda(*args: str) -> str:
        result = run(*args)
        assert result.exit_code == 0, (result.stderr, result.exception)
        return str(result.stdout)

    items = {i["entry_id"]: i for i in json.loads(agenda("--json"))}
    for entry_id, suggested in expected.items():
        assert items[entry_id]["status"] == "pending_review" and items[entry_id]["suggested_rating"] == suggested
        assert items[entry_id]["review_track"] == "CETR"
    table = agenda().splitlines()
    assert table[0].split()[:5] == ["#", "Name", "Age", "Band", "Track"]
    assert len(table) == 2 + len(items)
    with session_scope(make_engine(database_url)) as session:  # an adult added directly: the adults' part
        adult = add_direct(session, DirectIn(
            nhs_number="9434765919", given_name="Robin", family_name="Quayle", date_of_birth=date(1985, 6, 1),
            diagnoses=("autism",), risks=("mh_admission_risk",), has_ehcp=False, consent="given",
            consent_given_by="The person", referring_agency="Adult social care", referrer_contact="duty@example.org",
            reason="Placement at risk after two crises", current_setting="community"),
            by="asc-1", suggested=Rating.amber, clock=Clock(now, WorkingCalendar())).entry.id
    # (the database is shared with other tests: their entries may be on the agenda too)
    adults = {i["entry_id"]: i for i in json.loads(agenda("--json", "--age-band", "26+"))}
    assert (adults[str(adult)]["age_band"], adults[str(adult)]["review_track"]) == ("26+", "CTR")
    assert {i["age_band"] for i in adults.values()} == {"26+"} and not set(expected) & set(adults)
    cetr = {i["entry_id"]: i for i in json.loads(agenda("--json", "--track", "CETR"))}
    assert set(expected) <= set(cetr) and str(adult) not in cetr
    assert {i["review_track"] for i in cetr.values()} == {"CETR"}
    assert {str(adult), *expected} <= {i["entry_id"] for i in json.loads(agenda("--json"))}
    assert agenda("--age-band", "26+").splitlines()[0].split()[:5] == ["#", "Name", "Age", "Band", "Track"]
    wrong = run("--age-band", "adults")
    assert wrong.exit_code == 2 and "--age-band must be one of 0-17, 18-25, 26+" in wrong.stderr
