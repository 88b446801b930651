"""The DSR panel's whole register (issue 23, item 9), through the register's API in-process on migrated SQLite: every
open entry (not only the agenda's), filtered by rating, source, review track, age band and when the next review
falls, each choice counted with the other filters applied, in next-review order either way; the panel only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from schemas.referral import london_day
from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.common.tables import utcnow
from services.dsr.main import create_app
from services.dsr.tables import DsrEntry

TODAY = london_day(utcnow())
DAY = timedelta(days=1)


def years_ago(years: int) -> date:
    return date(TODAY.year - years, 6 if TODAY.month > 6 else 1, 1)  # well clear of a birthday either way


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Any]:
    settings = Settings(database_url=str(engine.url))
    transport = httpx.ASGITransport(app=create_app(settings, engine=engine))

    async def get(params: dict[str, Any] | None = None, role: str = "dsr_panel") -> httpx.Response:
        token = mint_dev_token(settings, subject=f"{role}-1", roles=[role], ttl_seconds=300)
        async with httpx.AsyncClient(transport=transport, base_url="http://dsr.test") as client:
            return await client.get("/dsr/register", params=params or {},
                                    headers={"Authorization": f"Bearer {token}"})

    yield get


def entry(session: Session, name: str, *, rating: str | None, born: date | None, review: date | None,
          source: str = "triage", status: str = "active", ehcp: bool = False) -> DsrEntry:
    e = DsrEntry(id=uuid.uuid4(), child_id=uuid.uuid4(), status=status, rating=rating, given_name=name,
                 family_name="Test", date_of_birth=born, next_review_due=review, source=source, has_ehcp=ehcp)
    session.add(e)
    session.commit()
    return e


@pytest.fixture
def register(session: Session) -> None:
    entry(session, "Ada", rating="red", born=years_ago(15), review=TODAY - 3 * DAY)  # overdue
    entry(session, "Ben", rating="amber", born=years_ago(10), review=TODAY + 60 * DAY)  # later: not on the agenda
    entry(session, "Cal", rating="green", born=years_ago(30), review=TODAY + 90 * DAY, source="direct")
    entry(session, "Dee", rating=None, born=years_ago(20), review=None, source="direct", status="pending_consent")
    entry(session, "Eve", rating="blue", born=years_ago(16), review=TODAY + 5 * DAY)
    entry(session, "Fay", rating="red", born=years_ago(19), review=TODAY + 1 * DAY, ehcp=True)
    entry(session, "Gus", rating="red", born=years_ago(12), review=TODAY, status="closed")  # closed: never shown


def names(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [e["name"].removesuffix(" Test") for e in answer.json()["entries"]]


async def test_every_open_entry_in_next_review_order(api: Any, register: None) -> None:
    answer = await api()
    assert names(answer) == ["Ada", "Fay", "Eve", "Ben", "Cal", "Dee"]  # no date last
    assert answer.json()["total"] == 6
    assert names(await api({"order": "latest"})) == ["Cal", "Ben", "Eve", "Fay", "Ada", "Dee"]


@pytest.mark.parametrize(("params", "shown"), [
    ({"rating": "red"}, ["Ada", "Fay"]),
    ({"rating": ["red", "blue"]}, ["Ada", "Fay", "Eve"]),
    ({"rating": "unrated"}, ["Dee"]),
    ({"source": "direct"}, ["Cal", "Dee"]),
    ({"track": "CTR"}, ["Cal", "Dee"]),  # Fay is 19 with an EHCP: still CETR
    ({"age_band": "14-17"}, ["Ada", "Eve"]),
    ({"age_band": ["0-13", "26+"]}, ["Ben", "Cal"]),
    ({"next_review": "overdue"}, ["Ada"]),
    ({"next_review": "due_14_days"}, ["Fay", "Eve"]),
    ({"next_review": ["later", "not_set"]}, ["Ben", "Cal", "Dee"]),
    ({"rating": "red", "age_band": "18-25"}, ["Fay"]),
])
async def test_the_filters(api: Any, register: None, params: dict[str, Any], shown: list[str]) -> None:
    assert names(await api(params)) == shown


async def test_each_choice_is_counted_with_the_other_filters(api: Any, register: None) -> None:
    counts = (await api({"source": "triage"})).json()["counts"]
    assert counts["rating"] == {"red": 2, "amber": 1, "green": 0, "blue": 1, "unrated": 0}
    assert counts["source"] == {"triage": 4, "direct": 2}  # its own filter left out
    assert counts["age_band"] == {"0-13": 1, "14-17": 2, "18-25": 1, "26+": 0, "unknown": 0}
    assert counts["next_review"] == {"overdue": 1, "due_14_days": 2, "later": 1, "not_set": 0}
    assert counts["track"] == {"CETR": 4, "CTR": 0, "unknown": 0}


async def test_each_entry_says_what_the_meeting_reads(api: Any, session: Session, register: None) -> None:
    [ada] = (await api({"next_review": "overdue"})).json()["entries"]
    assert ada | {"entry_id": None} == {
        "entry_id": None, "name": "Ada Test", "age": 15, "age_band": "14-17", "source": "triage",
        "review_track": "CETR", "status": "active", "rating": "red", "suggested_rating": None,
        "escalation_suggested": False, "next_review_due": (TODAY - 3 * DAY).isoformat(), "next_review": "overdue",
        "overdue": True}


@pytest.mark.parametrize("params", [{"rating": "purple"}, {"age_band": "0-17"}, {"order": "sideways"},
                                    {"next_review": "someday"}, {"source": "fax"}])
async def test_a_filter_it_does_not_know_is_a_422(api: Any, params: dict[str, Any]) -> None:
    assert (await api(params)).status_code == 422


@pytest.mark.parametrize("role", ["dsr_referrer", "worker:semh", "front_door", "manager"])
async def test_only_the_panel_reads_the_whole_register(api: Any, register: None, role: str) -> None:
    assert (await api(role=role)).status_code == 403
