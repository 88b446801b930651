"""Issue 22, items 11 and 12, in a real browser against the shared stack (`make run DEMO=1`): the what-if and the
reports read in words (tests/handlers/codes_shown.py finds no code outside small print: a rule by its name, its id in
small print; dates as "5 January 2026"); a manager starts a what-if from the rules in force, downloaded from the page
with their version in the file's name; the front door finds the disagreement report in its navigation and reads
it. axe must find nothing on any of these pages. Screenshots go to var/screenshots/ (words-*, reports-*)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_advice_and_register import StrictVisit
from tests.cases import ROOT, write_whatif_proposal
from tests.handlers.codes_shown import codes_shown

pytestmark = pytest.mark.integration
SHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def download(page: Any, link: str) -> tuple[str, str]:
    """Clicks `link` and gives the downloaded file's suggested name and its text."""
    with page.expect_download() as started:
        page.click(link)
    return started.value.suggested_filename, Path(started.value.path()).read_text(encoding="utf-8")


def test_a_manager_starts_a_what_if_from_the_rules_in_force_and_reads_it_in_words(
        browser: Any, portal: str, shots: Path, tmp_path: Path) -> None:
    from services.policy.ruleset import DEFAULT_RULESET
    from services.policy.ruleset.in_force import ruleset_in_force

    v = StrictVisit(browser, portal, shots, "words")
    v.sign_in("commissioning")
    page = v.go("/reports/whatif")
    name, text = download(page, "a:has-text('Download the rules in force (YAML)')")
    assert name == f"frontdoor-reference-{ruleset_in_force(DEFAULT_RULESET).version}.yaml"
    assert text == DEFAULT_RULESET.read_text(encoding="utf-8")  # the stack runs the shipped ruleset
    page.set_input_files("#file", str(write_whatif_proposal(tmp_path)))
    page.click("button:has-text('Check and compare')")
    v.check("whatif")
    assert codes_shown(page.content()) == []
    assert page.locator("p", has_text="referrals submitted from").first.inner_text().count(" 20") >= 2
    rules = page.locator("table:has(caption:has-text('Rules whose firings change')) tbody th")
    assert rules.count() >= 1 and rules.first.locator("span.govuk-body-s").count() == 1  # the id in small print
    name, text = download(page, "a:has-text('Download the what-if report (CSV)')")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["Section", "What", "Detail", "Before: the rules in force", "After: the proposed rules"]
    assert not [c for r in rows if r[0] != "Rules that fire more or less often" for c in r[:3] if codes_shown(c)]


def test_the_front_door_reads_the_disagreement_report_by_rule_name(browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "reports")
    v.sign_in("front-door-hub")
    page = v.page
    page.click("nav a:has-text('Overrides by rule')")
    v.check("disagreement-front-door")
    assert page.locator("h1").inner_text() == "Decisions people overrode, by rule"
    assert codes_shown(page.content()) == []
    assert page.locator("svg[aria-label='Decisions people overrode, by rule']").count() == 1
    name, text = download(page, "a[href='/reports/disagreement.csv']")
    assert name == "disagreement.csv" and next(csv.reader(text.splitlines()))[:2] == ["rule_id", "rule"]
    name, _ = download(page, "a:has-text('Download the rules in force (YAML)')")
    assert name.startswith("frontdoor-reference-") and name.endswith(".yaml")
    assert v.go("/reports").locator("h1").inner_text() == "You cannot see this page"  # only this report


def test_a_manager_reads_the_reports_in_words(browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "reports")
    v.sign_in("commissioning")
    page = v.go("/reports")
    v.check("manager")
    assert codes_shown(page.content()) == []
