"""Issue 22, items 11 and 12, on the portal's pages (intake stood in for): the what-if and the reports read in words,
a rule by its name with its id in small print, dates as "5 January 2026" (tests/handlers/codes_shown.py finds any code
a page shows outside small print, so the next one fails here); the front door reads the disagreement report, which
counts its own decisions; managers and the front door download the ruleset in force, named with its version, to
start a proposed ruleset from."""

from __future__ import annotations

import httpx
import pytest

from tests.handlers import portal_standins
from tests.handlers.codes_shown import codes_shown
from tests.handlers.portal_standins import StandIn, assert_refused, page, sign_in
from tests.handlers.test_portal_whatif import REPORT, SUPPRESSED_REPORT

portal, standin = portal_standins.portal, portal_standins.standin  # the fixtures

LOOKED_AFTER = "A looked-after child, so routine and soon requests are raised one level."
RULES = [{"rule_id": "boost.looked_after", "rule": LOOKED_AFTER, "fired": 12, "overridden": 6, "route_added": 5,
          "route_withdrawn": 0, "priority_up": 0, "priority_down": 6, "closed": 0, "suppressed": False},
         {"rule_id": "old.rule_gone", "rule": None, "fired": 8, "overridden": None, "route_added": None,
          "route_withdrawn": 0, "priority_up": 0, "priority_down": None, "closed": 0, "suppressed": True}]
VERSION = "1.0.0+0317e619adce"
IN_FORCE = {"name": "frontdoor-reference", "version": VERSION, "file_name": f"frontdoor-reference-{VERSION}.yaml",
            "content": "ruleset: frontdoor-reference\nversion: 1.0.0\n"}
OVERVIEW = {"weeks": 12, "small_number_threshold": 5,
            "per_week": [{"week_starting": "2026-01-05", "count": 9, "suppressed": False}],
            "per_service": [{"service": "safeguarding", "count": 6, "suppressed": False}],
            "per_concern": [{"concern": "self_harm", "count": 6, "suppressed": False}],
            "referrals_by_week": [{"week_starting": "2026-01-05", "service": "all", "outcome": "manual_review",
                                   "count": 9, "suppressed": False}],
            "by_service": [{"week_starting": "2026-01-05", "service": "safeguarding", "outcome": "accepted",
                            "count": 6, "suppressed": False}],
            "waiting_times": [], "breaches": [],
            "concerns_by_school": [{"school": "Seaview Primary", "concern": "self_harm", "count": 6,
                                    "suppressed": False}],
            "disagreement": RULES}


def small_print_of(html: str, words: str) -> bool:
    """`words` stand in small print on the page."""
    return f'<span class="govuk-body-s">{words}</span>' in html or f"<small>{words}</small>" in html


async def test_the_what_if_reads_in_words_with_each_rules_id_in_small_print(portal: httpx.AsyncClient,
                                                                           standin: StandIn) -> None:
    report = SUPPRESSED_REPORT | {
        "rules": [{"rule_id": "boost.looked_after", "rule": LOOKED_AFTER, "before": 7, "after": None}],
        "reported_apart": {"redirected": 5, "add_route": None}}
    standin.on("POST", "/rulesets/whatif", 200, {k: v for k, v in report.items() if k != "examples"})
    await sign_in(portal, "commissioning")
    empty, token = await page(portal, "/reports/whatif")
    assert 'href="/rules-in-force.yaml"' in empty and "Download the rules in force (YAML)" in empty
    shown = await portal.post("/reports/whatif", data={"csrf_token": token},
                              files={"file": ("p.yaml", b"ruleset: ref\n", "text/yaml")})
    assert shown.status_code == 200, shown.text[:300]
    assert "from 5 January 2026 to 9 January 2026" in shown.text
    assert LOOKED_AFTER in shown.text and small_print_of(shown.text, "boost.looked_after")
    assert "Due date moved" in shown.text
    assert codes_shown(shown.text) == []


async def test_the_front_door_example_ids_are_not_taken_for_codes(portal: httpx.AsyncClient,
                                                                  standin: StandIn) -> None:
    standin.on("POST", "/rulesets/whatif", 200, REPORT)
    await sign_in(portal, "commissioning")
    _, token = await page(portal, "/reports/whatif")
    shown = await portal.post("/reports/whatif", data={"csrf_token": token},
                              files={"file": ("p.yaml", b"ruleset: ref\n", "text/yaml")})
    assert "r-1 r-2" in shown.text and codes_shown(shown.text) == []


@pytest.mark.parametrize("user", ["commissioning", "fd-admin", "front-door-hub"])
async def test_the_rules_in_force_download_as_their_file_named_with_their_version(
        portal: httpx.AsyncClient, standin: StandIn, user: str) -> None:
    standin.on("GET", "/rulesets/in-force", 200, IN_FORCE)
    await sign_in(portal, user)
    got = await portal.get("/rules-in-force.yaml")
    assert got.status_code == 200
    assert got.text == IN_FORCE["content"]
    assert got.headers["content-type"].startswith("application/yaml")
    assert got.headers["content-disposition"] == f'attachment; filename="frontdoor-reference-{VERSION}.yaml"'
    assert standin.sent("GET", "/rulesets/in-force") == [None]


@pytest.mark.parametrize("user", ["front-door-hub", "commissioning"])
async def test_the_front_door_and_managers_read_the_disagreement_report_by_rule_name(
        portal: httpx.AsyncClient, standin: StandIn, user: str) -> None:
    standin.on("GET", "/reports/disagreement", 200, RULES)
    await sign_in(portal, user)
    shown = await portal.get("/reports/disagreement")
    assert shown.status_code == 200
    assert LOOKED_AFTER in shown.text and small_print_of(shown.text, "boost.looked_after")
    assert "A rule the rules in force no longer have" in shown.text and small_print_of(shown.text, "old.rule_gone")
    assert 'href="/reports/disagreement.csv"' in shown.text and 'href="/rules-in-force.yaml"' in shown.text
    assert codes_shown(shown.text) == []
    assert [params for m, p, _, params in standin.calls if p == "/reports/disagreement"] == [{"weeks": "12"}]


async def test_the_front_door_finds_the_report_in_its_navigation_and_downloads_its_csv(
        portal: httpx.AsyncClient, standin: StandIn) -> None:
    standin.answer_as_is("GET", "/reports/disagreement", 200, "rule_id,rule,fired\nboost.looked_after,A rule,12\n")
    await sign_in(portal, "front-door-hub")
    home = await portal.get("/front-door")
    assert 'href="/reports/disagreement"' in home.text
    got = await portal.get("/reports/disagreement.csv")
    assert got.status_code == 200 and got.headers["content-disposition"] == 'attachment; filename="disagreement.csv"'
    assert got.text.startswith("rule_id,rule,fired")
    assert [params for m, p, _, params in standin.calls if p == "/reports/disagreement"] == [
        {"weeks": "12", "format": "csv"}]


@pytest.mark.parametrize("user", ["senco-seaview", "worker-salt", "dsr-chair"])
@pytest.mark.parametrize("path", ["/reports/disagreement", "/reports/disagreement.csv", "/rules-in-force.yaml"])
async def test_the_report_and_the_rules_file_are_not_for_other_roles(portal: httpx.AsyncClient, standin: StandIn,
                                                                    user: str, path: str) -> None:
    await assert_refused(portal, standin, user, path)


async def test_the_front_door_reads_no_other_report(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await assert_refused(portal, standin, "front-door-hub", "/reports")


async def test_the_managers_reports_page_reads_in_words(portal: httpx.AsyncClient, standin: StandIn) -> None:
    standin.on("GET", "/reports/overview", 200, OVERVIEW)
    await sign_in(portal, "commissioning")
    shown = await portal.get("/reports")
    assert shown.status_code == 200
    assert LOOKED_AFTER in shown.text and small_print_of(shown.text, "boost.looked_after")
    assert codes_shown(shown.text) == []
