"""The portal's what-if page with intake stood in for: the upload goes to intake as the ruleset file (under the
CSRF check), intake's 422 becomes an error summary with every problem, and the CSV is the one of the last report."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine

from services.common.settings import Settings
from services.portal.main import create_app
from tests.handlers.portal_standins import BASE, as_the_service_answers, page

CHANGES = ("outcome_changed", "route_added", "route_removed", "pathway_changed", "priority_up", "priority_down",
           "due_date_moved", "held_changed", "dsr_changed", "missing_changed")
# What POST /rulesets/whatif answers (schemas.views.whatif.WhatIfReport), built from its model as the stand-ins are
REPORT = as_the_service_answers("POST", "/rulesets/whatif", {
    "baseline": "ref 1", "proposed": "ref 2", "period": {"first_day": "2026-01-05", "last_day": "2026-01-09",
                                                         "weeks": 1.0}, "referrals": 9, "changed": 2,
    "changes": dict.fromkeys(CHANGES, 0) | {"due_date_moved": 2},
    "examples": {c: [] for c in CHANGES} | {"due_date_moved": ["r-1", "r-2"]},
    "services": {"salt": {"before": {"total": 3, "per_week": 3.0, "by_priority": {"routine": 3}, "suppressed": False},
                          "after": {"total": 3, "per_week": 3.0, "by_priority": {"routine": 3}, "suppressed": False},
                          "breached": None}},
    "rules": [{"rule_id": "salt.route", "before": 3, "after": 4}], "reported_apart": {},
    "small_number_threshold": 1, "suppressed": False})
PROBLEMS = {"title": "The ruleset has problems", "errors": [{"field": "version", "problem": "missing: add it"},
                                                             {"field": "line 3, column 1", "problem": "not valid"}]}


async def sign_in(client: httpx.AsyncClient, user: str) -> None:
    """Signs in as `user` without opening their home page (a manager's is the reports page)."""
    _, token = await page(client, "/sign-in")
    assert (await client.post("/sign-in", data={"user": user, "csrf_token": token})).status_code == 303


class Intake:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bytes]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/rulesets/whatif":
            return httpx.Response(200, json=[])
        self.sent.append((request.headers["content-type"], request.url.params.get("format", "json"), request.content))
        if request.content.startswith(b"bad"):
            return httpx.Response(422, json=PROBLEMS)
        if request.url.params.get("format") == "csv":
            return httpx.Response(200, text="section,key,detail,before,after\nchange,due_date_moved,r-1 r-2,0,2\n",
                                  headers={"content-type": "text/csv"})
        return httpx.Response(200, json=REPORT)


@pytest.fixture
def intake() -> Intake:
    return Intake()


@pytest.fixture
async def portal(engine: Engine, intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(intake.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def test_the_upload_goes_to_intake_and_its_report_is_shown(portal: httpx.AsyncClient, intake: Intake) -> None:
    await sign_in(portal, "commissioning")
    assert (await portal.get("/reports/whatif.csv")).status_code == 404  # no report yet
    _, token = await page(portal, "/reports/whatif")
    upload = {"file": ("proposed.yaml", b"ruleset: ref\n", "text/yaml")}
    refused = await portal.post("/reports/whatif", files=upload)
    assert refused.status_code == 403 and intake.sent == []
    shown = await portal.post("/reports/whatif", data={"csrf_token": token}, files=upload)
    assert shown.status_code == 200
    assert intake.sent == [("text/yaml", "json", b"ruleset: ref\n"), ("text/yaml", "csv", b"ruleset: ref\n")]
    assert 'aria-label="Decisions that change, by kind"' in shown.text and "r-1 r-2" in shown.text
    assert "salt.route" in shown.text and 'href="/reports/whatif.csv"' in shown.text
    tables = shown.text.count('<table class="govuk-table')
    assert tables >= 3 and shown.text.count("app-table--responsive") == tables  # each reflows at 200% zoom (1.4.10)
    csv = await portal.get("/reports/whatif.csv")
    assert csv.status_code == 200 and csv.text.startswith("section,key,detail,before,after")


async def test_intakes_problems_are_listed_in_the_error_summary(portal: httpx.AsyncClient, intake: Intake) -> None:
    await sign_in(portal, "commissioning")
    _, token = await page(portal, "/reports/whatif")
    bad = await portal.post("/reports/whatif", data={"csrf_token": token},
                            files={"file": ("proposed.yaml", b"bad: [", "text/yaml")})
    assert bad.status_code == 422
    assert "govuk-error-summary" in bad.text
    assert "version: missing: add it" in bad.text and "line 3, column 1: not valid" in bad.text
    empty = await portal.post("/reports/whatif", data={"csrf_token": token},
                              files={"file": ("proposed.yaml", b"", "text/yaml")})
    assert empty.status_code == 422 and "Choose a ruleset file" in empty.text


@pytest.mark.parametrize("user", ["senco-seaview", "worker-salt"])
async def test_referrers_and_workers_are_refused(portal: httpx.AsyncClient, user: str) -> None:
    await sign_in(portal, user)
    assert (await portal.get("/reports/whatif")).status_code == 403


SUPPRESSED_REPORT = REPORT | {
    "referrals": 9, "changed": None, "changes": REPORT["changes"] | {"due_date_moved": None}, "suppressed": True,
    "small_number_threshold": 5,
    "services": {"salt": {"before": {"total": None, "per_week": None, "by_priority": {"routine": None},
                                     "suppressed": True},
                          "after": {"total": 7, "per_week": 7.0, "by_priority": {"routine": 7}, "suppressed": False},
                          "breached": {"before": None, "after": 0}}},
    "rules": [{"rule_id": "salt.route", "before": None, "after": 7}], "reported_apart": {"redirected": None}}


async def test_suppressed_counts_read_suppressed_and_no_ids_column_without_ids(engine: Engine) -> None:
    """Intake's answer to a manager (issue 20 item 6): hidden counts are null and there are no example ids; the page
    says `suppressed` for each and states the rule; a replay stopped at its time limit is said in words."""
    report = as_the_service_answers("POST", "/rulesets/whatif",
                                    {k: v for k, v in SUPPRESSED_REPORT.items() if k != "examples"})

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/rulesets/whatif":
            return httpx.Response(200, json=[])
        if request.content.startswith(b"slow"):
            return httpx.Response(503, json={"title": "The what-if took too long",
                                             "detail": "The replay took longer than 60 seconds and was stopped."})
        if request.url.params.get("format") == "csv":
            return httpx.Response(200, text="section,key,detail,before,after\n", headers={"content-type": "text/csv"})
        return httpx.Response(200, json=report)

    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        await sign_in(client, "commissioning")  # the dev manager
        _, token = await page(client, "/reports/whatif")
        shown = await client.post("/reports/whatif", data={"csrf_token": token},
                                  files={"file": ("p.yaml", b"ruleset: ref\n", "text/yaml")})
        assert shown.status_code == 200, shown.text[:500]
        assert "Example referral ids" not in shown.text
        assert shown.text.count(">suppressed<") >= 5  # changed, due date moved, SALT before, a rule, redirected
        assert "None" not in shown.text
        assert "from 1 to 4" in shown.text
        slow = await client.post("/reports/whatif", data={"csrf_token": token},
                                 files={"file": ("p.yaml", b"slow: yes\n", "text/yaml")})
        assert slow.status_code == 503
        assert "govuk-error-summary" in slow.text and "The replay took longer than 60 seconds" in slow.text
