"""Two practitioners add the same new person to the register at the same moment (PostgreSQL, two connections):
the register serialises additions that may create an entry, so the second finds the first's entry and becomes a
note on it. Without the lock both would find no entry and the person would be on the register twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.workdays import WorkingCalendar
from services.dsr.direct import DirectIn, DirectResult, add_direct
from services.dsr.domain import Clock, Rating
from services.dsr.tables import DsrEntry
from tests.databases import NEEDS_POSTGRES, postgres_schema

pytestmark = [pytest.mark.integration, NEEDS_POSTGRES]
CLOCK = Clock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), WorkingCalendar())


def addition(agency: str) -> DirectIn:
    return DirectIn(nhs_number="9434765919", given_name="Robin", family_name="Quayle", date_of_birth=date(1986, 1, 1),
                    diagnoses=("autism",), risks=("mh_admission_risk",), has_ehcp=False, consent="given",
                    consent_given_by="The person", referring_agency=agency, referrer_contact="duty@example.gov.uk",
                    reason="Placement at risk after two crises", current_setting="community")


@pytest.fixture
def engine() -> Iterator[Engine]:
    with postgres_schema("frontdoor_dsr_lock") as (_, engine):
        yield engine


def test_two_additions_of_one_new_person_at_once_make_one_entry_and_a_note(engine: Engine) -> None:
    first_added = threading.Event()
    results: dict[str, DirectResult] = {}

    def second() -> None:
        first_added.wait(10)
        with Session(engine) as s:  # waits here for the first transaction, then sees its entry
            results["second"] = add_direct(s, addition("Community mental health team"), by="cmht-1",
                                           suggested=Rating.amber, clock=CLOCK)
            s.commit()

    thread = threading.Thread(target=second)
    thread.start()
    with Session(engine) as s:
        results["first"] = add_direct(s, addition("Adult social care"), by="asc-1", suggested=Rating.amber, clock=CLOCK)
        s.flush()
        first_added.set()
        thread.join(1.5)  # the second addition is held meanwhile, not finished
        assert thread.is_alive()
        s.commit()
    thread.join(10)
    assert not thread.is_alive()
    assert results["first"].created and not results["second"].created
    with Session(engine) as s:
        assert len(s.exec(select(DsrEntry)).all()) == 1
