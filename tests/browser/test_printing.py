"""Print (issue 23, item 7) in a real browser against the shared stack (`make run DEMO=1`): the SENCO opens one of her
referrals, follows "Print or save as PDF", sees the summary for the family as a page (and as it prints: the document
only, no menu), and downloads it as a PDF; the DSR chair follows "Print or save as PDF" from the agenda to the meeting
pack, writes who is attending, updates the pack and downloads it as a PDF with those attendees. axe must find nothing
at all on these pages, at normal size and at 200% zoom. Screenshots: var/screenshots/print-*.png (and each PDF's
first page as an image, where pdftoppm is installed)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.browser.test_advice_and_register import StrictVisit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
SHOTS = ROOT / "var" / "screenshots"
ZOOMED = {"width": 640, "height": 900}  # a 1280-pixel window at 200% zoom
REFERRAL = re.compile(r"^/referrals/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def pdf_text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def downloaded(page: Any, click: str, into: Path) -> str:
    """Click `click`, keep the PDF it downloads as `into` (and its first page as an image) and give its text."""
    with page.expect_download() as download:
        page.click(click)
    download.value.save_as(str(into))
    assert into.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(into), str(into.with_suffix(""))],
                       check=True)
    return pdf_text(into)


def printed(v: StrictVisit, name: str, shots: Path) -> None:
    """The page checked, at 200% zoom too, and as it prints: the document only, marked, no menu or buttons."""
    page = v.check(name)
    page.set_viewport_size(ZOOMED)
    v.check(f"{name}-zoom-200")
    page.screenshot(path=str(shots / f"print-{name}-zoom-200.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator(".app-no-print").first.is_visible()
    assert page.locator("article.app-printed h1").is_visible()
    assert page.locator("text=OFFICIAL-SENSITIVE").first.is_visible()
    page.screenshot(path=str(shots / f"print-{name}-as-printed.png"), full_page=True)
    page.emulate_media(media="screen")


def test_a_senco_prints_a_referrals_summary_for_the_family(browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "print")
    v.sign_in("senco-seaview")
    page = v.go("/referrals")
    mine = [h for h in page.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
            if h and REFERRAL.match(h)]
    assert mine
    v.go(mine[0])
    name = page.locator("h1").inner_text()
    page.click("a:has-text('Print or save as PDF')")
    printed(v, "summary", shots)
    assert page.url.endswith(mine[0] + "/summary")
    assert page.locator("h1").inner_text() == f"Referral summary for {name}"
    for heading in ("What was asked", "What we decided", "Who will be in touch"):
        assert page.locator(f"h2:has-text('{heading}')").count() == 1
    text = downloaded(page, "a:has-text('Download as PDF')", shots / "print-summary.pdf")
    assert f"Referral summary for {name}" in text and "OFFICIAL-SENSITIVE" in text
    page.click("a.govuk-back-link")
    v.check("summary-back")
    assert page.url.endswith(mine[0])


def test_the_dsr_chair_prints_the_meeting_pack_with_who_is_attending(browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "print")
    v.sign_in("dsr-chair")
    page = v.go("/dsr")
    first = page.locator("table a").first.inner_text()  # the agenda's first person
    page.click("a:has-text('Print or save as PDF')")
    printed(v, "meeting-pack", shots)
    assert page.url.endswith("/dsr/meeting-pack")
    assert page.locator(f"article.app-printed h3:has-text('{first}')").count() == 1

    page.fill("#attendees", "Imogen Thistlewood, CAMHS\nBarnaby Okonkwo-Reyes, ICB")
    page.click("button:has-text('Update the pack')")
    v.check("meeting-pack-attendees")
    assert page.locator("article.app-printed li:has-text('Imogen Thistlewood, CAMHS')").count() == 1
    page.screenshot(path=str(shots / "print-meeting-pack-attendees.png"), full_page=True)
    text = downloaded(page, "button:has-text('Download as PDF')", shots / "print-meeting-pack.pdf")
    assert "Imogen Thistlewood, CAMHS" in text and "Barnaby Okonkwo-Reyes, ICB" in text and first in text

    page.fill("#attendees", "")  # nobody written: the pack says so, it does not fail
    page.click("button:has-text('Update the pack')")
    v.check("meeting-pack-nobody")
    assert page.locator("article.app-printed p:has-text('None recorded.')").count() == 1
