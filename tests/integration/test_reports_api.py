"""The reports API on a database of its own, holding the hand-worked data set of tests/unit/test_reports.py."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from services.common.auth import mint_dev_token
from services.common.db import make_engine, session_scope
from services.common.settings import Settings
from services.intake.main import create_app
from services.intake.tables import Child, ReferralRecord, ServiceRequestRecord

pytestmark = pytest.mark.integration


def seed(url: str) -> None:
    now = datetime.now(timezone.utc)
    monday = (now - timedelta(days=now.weekday() + 14)).replace(hour=9, minute=0, second=0, microsecond=0)
    child = uuid.uuid4()
    referrals = [("Seaview Primary", ["anxiety", "housing"], 0), ("Seaview Primary", ["anxiety"], 2),
                 ("Eastwood Academy", ["stammering"], 3)]
    # SALT waits 1, 2, 3, 10 days: median 2.5, p90 10. SEMH: 5 and 5. One SALT and one early help breach.
    requests = [(0, "salt", 1, False), (0, "salt", 2, False), (1, "salt", 3, True), (2, "salt", 10, False),
                (0, "semh", 5, False), (1, "semh", 5, False), (2, "early_help", None, True)]
    with session_scope(make_engine(url)) as s:
        s.add(Child(id=child, given_key="a", family_key="b", date_of_birth=datetime(2015, 1, 1).date(),
                    postcode_key="SS12AB"))
        s.flush()
        ids = []
        for school, concerns, day in referrals:
            rid = uuid.uuid4()
            ids.append(rid)
            s.add(ReferralRecord(id=rid, child_id=child, submitted_by="x", submitted_at=monday + timedelta(days=day),
                                 event_id=uuid.uuid4(), fingerprint="f",
                                 referral={"child": {"education_setting": {"name": school}}, "concerns": concerns},
                                 matched_on="new", status="decided", outcome="routed"))
        s.flush()
        for i, service, wait, breached in requests:
            submitted = monday + timedelta(days=referrals[i][2])
            s.add(ServiceRequestRecord(id=uuid.uuid4(), referral_id=ids[i], child_id=child, service=service,
                                       pathway="p", priority="routine", due_by=submitted,
                                       status="accepted" if wait is not None else "created",
                                       accepted_at=submitted + timedelta(days=wait) if wait is not None else None,
                                       breached_at=submitted if breached else None))


@pytest.fixture(scope="module")
def client(fresh_database_url: str) -> httpx.AsyncClient:
    url = fresh_database_url
    seed(url)
    app = create_app(Settings(database_url=url))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


def as_role(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(Settings(), subject='m', roles=[role])}"}


async def test_waiting_times_and_breaches_match_the_hand_worked_figures(client: httpx.AsyncClient) -> None:
    waits = (await client.get("/reports/waiting-times", headers=as_role("manager"))).json()
    assert waits == [
        {"service": "salt", "accepted": 4, "median_days": 2.5, "p90_days": 10.0},
        {"service": "semh", "accepted": 2, "median_days": 5.0, "p90_days": 5.0},
    ]
    assert (await client.get("/reports/breaches", headers=as_role("admin"))).json() == [
        {"service": "early_help", "requests": 1, "breached": 1},
        {"service": "salt", "requests": 4, "breached": 1},
        {"service": "semh", "requests": 2, "breached": 0},
    ]


async def test_reports_come_as_csv_for_a_spreadsheet(client: httpx.AsyncClient) -> None:
    response = await client.get("/reports/concerns-by-school?format=csv", headers=as_role("manager"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows == [
        {"school": "Eastwood Academy", "concern": "stammering", "count": "1"},
        {"school": "Seaview Primary", "concern": "anxiety", "count": "2"},
        {"school": "Seaview Primary", "concern": "housing", "count": "1"},
    ]
    weekly = (await client.get("/reports/referrals-by-week", headers=as_role("manager"))).json()
    assert sum(r["count"] for r in weekly if r["service"] == "all") == 3


async def test_reports_are_for_managers_and_admins_only(client: httpx.AsyncClient) -> None:
    for role in ("referrer", "worker:salt", "dsr_panel"):
        assert (await client.get("/reports/breaches", headers=as_role(role))).status_code == 403
    assert (await client.get("/reports/breaches")).status_code == 401
    assert (await client.get("/reports/nonsense", headers=as_role("admin"))).status_code == 422


async def test_the_overview_holds_every_figure_of_the_reports_page(client: httpx.AsyncClient) -> None:
    """What the portal's reports page shows, from intake: the four reports and the totals worked out of them."""
    names = ("referrals-by-week", "waiting-times", "breaches", "concerns-by-school")
    reports = {name: (await client.get(f"/reports/{name}", headers=as_role("manager"))).json() for name in names}
    response = await client.get("/reports/overview", params={"weeks": 12}, headers=as_role("manager"))
    assert response.status_code == 200
    overview = response.json()
    weekly = [r for r in reports["referrals-by-week"] if r["service"] == "all"]
    assert overview == {
        "weeks": 12,
        "per_week": [{"week_starting": weekly[0]["week_starting"], "count": 3}],
        "per_service": [{"service": "early_help", "count": 1}, {"service": "salt", "count": 4},
                        {"service": "semh", "count": 2}],
        "per_concern": [{"concern": "anxiety", "count": 2}, {"concern": "stammering", "count": 1},
                        {"concern": "housing", "count": 1}],  # ties in the report's order (Eastwood before Seaview)
        "referrals_by_week": weekly,
        "by_service": [r for r in reports["referrals-by-week"] if r["service"] != "all"],
        "waiting_times": reports["waiting-times"],
        "breaches": reports["breaches"],
        "concerns_by_school": reports["concerns-by-school"],
    }
    assert {r["week_starting"] for r in weekly} == {weekly[0]["week_starting"]}
    assert (await client.get("/reports/overview?weeks=1", headers=as_role("admin"))).json()["per_week"] == []
    assert (await client.get("/reports/overview?weeks=0", headers=as_role("admin"))).status_code == 422
    for role in ("referrer", "worker:salt", "dsr_panel"):
        assert (await client.get("/reports/overview", headers=as_role(role))).status_code == 403
