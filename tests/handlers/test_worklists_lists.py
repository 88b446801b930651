"""A worker's lists beyond today (issue 23, item 9), through the worklists API in-process on migrated SQLite: the
finished requests (completed, declined, redirected, withdrawn) by state, received in the last 90 days unless asked
otherwise, with counts per state; every row with the child's age (or none where the date of birth is not shared) and
the date received; a request held for MASH never shows its child, in any list; one request says its clock; a second
accept is refused in words and changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.common.tables import OutboxMessage, utcnow
from services.worklists.main import create_app
from services.worklists.tables import WorklistItem
from tests.handlers.test_worklists import DETAILS, put

DAY = timedelta(days=1)
Api = tuple[httpx.AsyncClient, dict[str, str]]


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    settings = Settings(database_url=str(engine.url))
    token = mint_dev_token(settings, subject="salt-1", roles=["worker:salt"], ttl_seconds=300)
    transport = httpx.ASGITransport(app=create_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://worklists.test") as client:
        yield client, {"Authorization": f"Bearer {token}"}


def aged(session: Session, status: str, days_ago: float, **changes: Any) -> WorklistItem:
    """A salt request in `status`, received `days_ago` days before now (and finished a little after)."""
    item = put(session, status=status, **changes)
    item.received_at = utcnow() - days_ago * DAY
    item.updated_at = item.received_at + DAY / 2
    session.commit()
    return item


async def listed(api: Api, **params: Any) -> list[dict[str, Any]]:
    client, headers = api
    answer = await client.get("/worklists/salt", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    return rows


@pytest.fixture
def requests(session: Session) -> dict[str, WorklistItem]:
    return {
        "open-old": aged(session, "created", 400), "accepted": aged(session, "accepted", 3),
        "completed": aged(session, "completed", 10), "completed-old": aged(session, "completed", 120),
        "declined": aged(session, "declined", 40), "redirected": aged(session, "redirected", 80),
        "withdrawn": aged(session, "withdrawn", 2), "withdrawn-old": aged(session, "withdrawn", 300),
    }


def names(rows: list[dict[str, Any]], requests: dict[str, WorklistItem]) -> set[str]:
    by_id = {str(i.id): name for name, i in requests.items()}
    return {by_id[r["service_request_id"]] for r in rows}


async def test_the_worklist_is_the_open_requests_by_default_however_old(api: Api, requests: Any) -> None:
    assert names(await listed(api), requests) == {"open-old", "accepted"}


@pytest.mark.parametrize(("params", "shown"), [
    ({"status": "completed"}, {"completed"}),  # 90 days by default
    ({"status": "completed", "received_within_days": 365}, {"completed", "completed-old"}),
    ({"status": ["declined", "redirected"]}, {"declined", "redirected"}),
    ({"status": ["declined", "redirected"], "received_within_days": 30}, set()),
    ({"status": ["open", "withdrawn"]}, {"open-old", "accepted", "withdrawn"}),
    ({"status": ["completed", "declined", "redirected", "withdrawn"], "received_within_days": 365},
     {"completed", "completed-old", "declined", "redirected", "withdrawn", "withdrawn-old"}),
])
async def test_finished_requests_by_state_received_in_the_window(
    api: Api, requests: Any, params: dict[str, Any], shown: set[str],
) -> None:
    assert names(await listed(api, **params), requests) == shown


async def test_the_counts_per_state_follow_the_window(api: Api, requests: Any) -> None:
    client, headers = api
    default = (await client.get("/worklists/salt/counts", headers=headers)).json()
    assert default == {"received_within_days": 90, "counts": {
        "open": 2, "completed": 1, "declined": 1, "redirected": 1, "withdrawn": 1}}
    year = (await client.get("/worklists/salt/counts", params={"received_within_days": 365}, headers=headers)).json()
    assert year["counts"] == {"open": 2, "completed": 2, "declined": 1, "redirected": 1, "withdrawn": 2}


@pytest.mark.parametrize("params", [{"status": "lost"}, {"received_within_days": 0},
                                    {"received_within_days": 367}, {"received_within_days": "ninety"}])
async def test_a_filter_it_does_not_know_is_a_422(api: Api, params: dict[str, Any]) -> None:
    client, headers = api
    for path in ("/worklists/salt", "/worklists/salt/counts"):
        if "status" in params and path.endswith("counts"):
            continue
        assert (await client.get(path, params=params, headers=headers)).status_code == 422


async def test_every_row_shows_the_childs_age_and_the_date_received(api: Api, session: Session) -> None:
    item = aged(session, "created", 1)
    not_shared = aged(session, "created", 1)
    not_shared.details = {k: v for k, v in DETAILS.items() if k != "date_of_birth"}
    session.commit()
    rows = {r["service_request_id"]: r for r in await listed(api)}
    today = utcnow().date()
    born = datetime.fromisoformat(DETAILS["date_of_birth"]).date()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert rows[str(item.id)]["age"] == f"{years} years"
    assert rows[str(item.id)]["received_at"] == item.received_at.isoformat()
    assert rows[str(not_shared.id)]["age"] is None  # the page says "Not shared"
    assert "date_of_birth" not in rows[str(not_shared.id)]["child"]


async def test_a_request_held_for_mash_never_shows_its_child_in_any_list(api: Api, session: Session) -> None:
    """Held and declined by MASH (finished, but still need to know) or still held: no child, age, referral or
    pathway in the open list, the closed list or the request itself; only that it exists and its dates."""
    declined = aged(session, "declined", 5, held=True)
    waiting = aged(session, "created", 1, held=True)
    client, headers = api
    for rows in (await listed(api), await listed(api, status=["declined"]),
                 await listed(api, status=["open", "declined"], received_within_days=365)):
        assert rows
        for row in rows:
            assert row["mash_decides_first"] is True and "age" not in row and "child" not in row
            assert row["received_at"]
            text = json.dumps(row)
            for secret in ("Sam", "Lee", "2014-05-01", "AB1", "community", str(declined.referral_id),
                           str(waiting.referral_id)):
                assert secret not in text
    one = (await client.get(f"/worklists/salt/requests/{declined.id}", headers=headers)).json()
    assert "age" not in one and "details" not in one


async def test_one_request_says_its_clock(api: Api, session: Session) -> None:
    item = aged(session, "created", 0)
    item.priority, item.due_by = "emergency", item.received_at + timedelta(hours=4)
    session.commit()
    client, headers = api
    one = (await client.get(f"/worklists/salt/requests/{item.id}", headers=headers)).json()
    assert one["clock"] == "4 hours from when it was received"
    assert one["received_at"] == item.received_at.isoformat() and one["age"].endswith("years")


async def test_a_second_accept_is_refused_in_words_and_announces_nothing_more(api: Api, session: Session) -> None:
    item = aged(session, "created", 1)
    client, headers = api
    path = f"/worklists/salt/requests/{item.id}/accept"
    first = await client.post(path, json={}, headers=headers)
    again = await client.post(path, json={}, headers=headers)
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert (again.status_code, again.json()["title"]) == (409, "cannot accept a request that is accepted")
    session.expire_all()
    assert len(session.exec(select(OutboxMessage)).all()) == 1
