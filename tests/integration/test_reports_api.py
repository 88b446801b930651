"""The reports API on a database of its own, holding the hand-worked data set of tests/unit/test_reports.py.
Its counts are all small, so the app here suppresses none (small_number_threshold=1): the arithmetic is what these
tests check; tests/integration/test_report_disclosure.py checks the suppression."""

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
from services.intake.tables import Child, FrontDoorDecision, ReferralRecord, ServiceRequestRecord
from services.policy.ruleset import DEFAULT_RULESET
from services.policy.ruleset.explain import rule_names
from services.policy.ruleset.in_force import ruleset_in_force

pytestmark = pytest.mark.integration
# the rules triage's decision on each seeded referral fired
FIRED = [["semh.specialist", "consent.health_services"], ["salt.community"], ["semh.specialist"]]
# By hand: consent.health_services fired 1, overridden 1 (priority up, route added); salt.community fired 1,
# overridden 1 (closed); semh.specialist fired 2, overridden 1 (priority up, route added).
# each rule named by its reason in the ruleset in force (issue 22, item 11)
NAMES = rule_names(ruleset_in_force(DEFAULT_RULESET))
DISAGREEMENT = [
    {"rule_id": "consent.health_services", "rule": NAMES["consent.health_services"], "fired": 1, "overridden": 1,
     "route_added": 1, "route_withdrawn": 0, "priority_up": 1, "priority_down": 0, "closed": 0, "suppressed": False},
    {"rule_id": "salt.community", "rule": NAMES["salt.community"], "fired": 1, "overridden": 1, "route_added": 0,
     "route_withdrawn": 0, "priority_up": 0, "priority_down": 0, "closed": 1, "suppressed": False},
    {"rule_id": "semh.specialist", "rule": NAMES["semh.specialist"], "fired": 2, "overridden": 1, "route_added": 1,
     "route_withdrawn": 0, "priority_up": 1, "priority_down": 0, "closed": 0, "suppressed": False},
]


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
        for n, (school, concerns, day) in enumerate(referrals):
            rid = uuid.uuid4()
            ids.append(rid)
            s.add(ReferralRecord(id=rid, child_id=child, submitted_by="x", submitted_at=monday + timedelta(days=day),
                                 event_id=uuid.uuid4(), fingerprint="f",
                                 referral={"child": {"education_setting": {"name": school}}, "concerns": concerns},
                                 matched_on="new", status="decided", outcome="routed",
                                 decision={"explanation": [{"rule_id": r, "because": "b"} for r in FIRED[n]]}))
        s.flush()
        request_ids = []
        for i, service, wait, breached in requests:
            submitted = monday + timedelta(days=referrals[i][2])
            request_ids.append(uuid.uuid4())
            s.add(ServiceRequestRecord(id=request_ids[-1], referral_id=ids[i], child_id=child, service=service,
                                       pathway="p", priority="routine", due_by=submitted,
                                       status="accepted" if wait is not None else "created",
                                       accepted_at=submitted + timedelta(days=wait) if wait is not None else None,
                                       breached_at=submitted if breached else None))
        s.flush()
        # People's decisions: on the first referral, its routine SALT request made urgent and a route added;
        # the second referral closed with a signpost. The third referral is left as triage decided it.
        up = {"kind": "change_priority", "service_request_id": str(request_ids[0]), "priority": "urgent"}
        added = {"kind": "add_route", "service": "semh", "pathway": "camhs", "priority": "soon"}
        closed = {"kind": "close", "signpost": "The school nurse drop-in"}
        for i, changes in ((0, [up, added]), (1, [closed])):
            s.add(FrontDoorDecision(id=uuid.uuid4(), referral_id=ids[i], child_id=child, decided_by="fd",
                                    decided_at=monday + timedelta(days=4), rationale="Known to the family team.",
                                    supersedes=uuid.uuid4(), changes=changes, fired=FIRED[i]))


@pytest.fixture(scope="module")
def client(fresh_database_url: str) -> httpx.AsyncClient:
    url = fresh_database_url
    seed(url)
    app = create_app(Settings(database_url=url, small_number_threshold=1))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


def as_role(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(Settings(), subject='m', roles=[role])}"}


async def test_waiting_times_and_breaches_match_the_hand_worked_figures(client: httpx.AsyncClient) -> None:
    waits = (await client.get("/reports/waiting-times", headers=as_role("manager"))).json()
    assert waits == [
        {"service": "salt", "accepted": 4, "median_days": 2.5, "p90_days": 10.0, "suppressed": False},
        {"service": "semh", "accepted": 2, "median_days": 5.0, "p90_days": 5.0, "suppressed": False},
    ]
    assert (await client.get("/reports/breaches", headers=as_role("admin"))).json() == [
        {"service": "early_help", "requests": 1, "breached": 1, "suppressed": False},
        {"service": "salt", "requests": 4, "breached": 1, "suppressed": False},
        {"service": "semh", "requests": 2, "breached": 0, "suppressed": False},
    ]


async def test_reports_come_as_csv_for_a_spreadsheet(client: httpx.AsyncClient) -> None:
    response = await client.get("/reports/concerns-by-school?format=csv", headers=as_role("manager"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows == [  # the whole grid, zeros included (issue 20, item 9); this client's threshold suppresses nothing
        {"school": "Eastwood Academy", "concern": "anxiety", "count": "0"},
        {"school": "Eastwood Academy", "concern": "housing", "count": "0"},
        {"school": "Eastwood Academy", "concern": "stammering", "count": "1"},
        {"school": "Seaview Primary", "concern": "anxiety", "count": "2"},
        {"school": "Seaview Primary", "concern": "housing", "count": "1"},
        {"school": "Seaview Primary", "concern": "stammering", "count": "0"},
    ]
    weekly = (await client.get("/reports/referrals-by-week", headers=as_role("manager"))).json()
    assert sum(r["count"] for r in weekly if r["service"] == "all") == 3


async def test_disagreement_per_rule_matches_the_hand_worked_figures(client: httpx.AsyncClient) -> None:
    assert (await client.get("/reports/disagreement", headers=as_role("manager"))).json() == DISAGREEMENT
    response = await client.get("/reports/disagreement", params={"format": "csv"}, headers=as_role("admin"))
    assert response.headers["content-disposition"] == 'attachment; filename="disagreement.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows == [{k: str(v) for k, v in row.items() if k != "suppressed"} for row in DISAGREEMENT]
    assert (await client.get("/reports/disagreement?weeks=1", headers=as_role("manager"))).json() == []
    assert (await client.get("/reports/disagreement", headers=as_role("front_door"))).json() == DISAGREEMENT
    for role in ("referrer", "worker:salt", "dsr_panel"):
        assert (await client.get("/reports/disagreement", headers=as_role(role))).status_code == 403


async def test_reports_are_for_managers_and_admins_only(client: httpx.AsyncClient) -> None:
    for role in ("referrer", "worker:salt", "dsr_panel"):
        assert (await client.get("/reports/breaches", headers=as_role(role))).status_code == 403
    assert (await client.get("/reports/breaches")).status_code == 401
    assert (await client.get("/reports/nonsense", headers=as_role("admin"))).status_code == 422


async def test_the_overview_holds_every_figure_of_the_reports_page(client: httpx.AsyncClient) -> None:
    """What the portal's reports page shows, from intake: the five reports and the totals worked out of them."""
    names = ("referrals-by-week", "waiting-times", "breaches", "concerns-by-school", "disagreement")
    reports = {name: (await client.get(f"/reports/{name}", headers=as_role("manager"))).json() for name in names}
    response = await client.get("/reports/overview", params={"weeks": 12}, headers=as_role("manager"))
    assert response.status_code == 200
    overview = response.json()
    weekly = [r for r in reports["referrals-by-week"] if r["service"] == "all"]
    shown = {"suppressed": False}
    assert overview == {
        "weeks": 12,
        "small_number_threshold": 1,
        "per_week": [{"week_starting": weekly[0]["week_starting"], "count": 3} | shown],
        "per_service": [{"service": "early_help", "count": 1} | shown, {"service": "salt", "count": 4} | shown,
                        {"service": "semh", "count": 2} | shown],
        "per_concern": [{"concern": "anxiety", "count": 2} | shown, {"concern": "stammering", "count": 1} | shown,
                        {"concern": "housing", "count": 1} | shown],  # ties in the report's order
        "referrals_by_week": weekly,
        "by_service": [r for r in reports["referrals-by-week"] if r["service"] != "all"],
        "waiting_times": reports["waiting-times"],
        "breaches": reports["breaches"],
        "concerns_by_school": reports["concerns-by-school"],
        "disagreement": DISAGREEMENT,
    }
    assert {r["week_starting"] for r in weekly} == {weekly[0]["week_starting"]}
    assert (await client.get("/reports/overview?weeks=1", headers=as_role("admin"))).json()["per_week"] == []
    assert (await client.get("/reports/overview?weeks=0", headers=as_role("admin"))).status_code == 422
    for role in ("referrer", "worker:salt", "dsr_panel"):
        assert (await client.get("/reports/overview", headers=as_role(role))).status_code == 403
