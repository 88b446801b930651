"""Who is working on it, in a real browser against the stack as `make run DEMO=1` starts it (issue 23, item 3): a
front-door practitioner picks up an unassigned queue item; a second practitioner opens it, sees who has it and is
asked "Are you sure" before taking it over (and goes back); the first gives it to a colleague (an empty choice is an
error first); My work lists what she holds with its clock and hands it over in one go; a SEMH worker filters the
worklist to "Assigned to me". Every page is scanned with axe-core; screenshots in var/screenshots/assign-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
SHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def signed_in(browser: Any, portal: str, shots: Path, key: str, who: str) -> Visit:
    v = Visit(browser, portal, shots, f"assign-{who}")
    v.sign_in(key)
    return v


def unassigned_referrals(page: Any) -> Any:
    """The queue's rows about a referral that nobody is working on."""
    return page.locator("#queue tbody tr", has_text="Unassigned").filter(has=page.locator("a:has-text('Referral')"))


def test_pick_up_take_over_give_and_hand_over(browser: Any, portal: str, shots: Path) -> None:
    sol = signed_in(browser, portal, shots, "front-door-sol", "sol")  # Sol has used Front Door: a colleague
    dana = signed_in(browser, portal, shots, "front-door-hub", "dana")
    page = dana.go("/front-door?assigned=nobody")
    assert page.is_checked("#assigned-3")  # the filter says what it shows (All, Assigned to me, Unassigned)
    rows = unassigned_referrals(page)
    assert rows.count() >= 2, page.inner_text("#queue")  # the demo's: Dana and Sol have picked up two others
    link = rows.first.locator("a:has-text('Referral')")
    reference = link.inner_text()
    link.click()
    dana.check("item-unassigned")
    assert "Nobody yet: it is unassigned." in page.inner_text("#holder")
    page.click("#pick-up")
    dana.check("picked-up")
    assert "You are now working on this." in page.inner_text("main")
    item = page.url.split("?")[0]

    # Sol opens the same item: Dana has it; he is asked before taking it, and goes back
    other = sol.page
    other.goto(item)
    sol.check("item-held-by-dana")
    assert "Dana Wright is working on this" in other.inner_text("#holder")
    assert other.locator("#pick-up").count() == 0
    other.click("#take-over")
    sol.check("confirm-take-over")
    assert "Are you sure you want to take over this referral?" in other.inner_text("h1")
    assert "Dana Wright is working on it" in other.inner_text("main")
    other.click("text=No, go back")
    sol.check("went-back")
    assert "Dana Wright is working on this" in other.inner_text("#holder")

    # Dana gives it to Sol: choosing nobody is an error first
    page.click("#give")
    dana.check("give")
    page.click("#give-it")
    dana.check("give-error")
    assert "Select the colleague to give it to" in page.inner_text(".govuk-error-summary")
    page.check("label:has-text('Sol Ahmed')")
    page.click("#give-it")
    dana.check("given")
    assert "Sol Ahmed is working on this" in page.inner_text("#holder")
    queue = dana.go("/front-door")
    assert "Sol Ahmed" in queue.locator("#queue tbody tr", has_text=reference).inner_text()

    # My work: what Dana holds, with its clock, handed over to Sol in one go
    page = dana.go("/front-door?assigned=nobody")
    unassigned_referrals(page).first.locator("a:has-text('Referral')").click()
    page.click("#pick-up")
    work = dana.go("/front-door/my-work")
    assert "My work" in work.inner_text("h1") and work.locator("#my-items tbody tr").count() >= 1
    assert all(box.is_checked() for box in work.locator("input[name='item']").all())
    work.click("#hand-over")
    dana.check("handover-error")
    assert "Select the colleague to give it to" in work.inner_text(".govuk-error-summary")
    work.check("label:has-text('Sol Ahmed')")
    work.click("#hand-over")
    dana.check("handed-over")
    assert "handed over to Sol Ahmed" in work.inner_text("main")
    assert "You are not working on anything" in work.inner_text("main")
    mine = sol.go("/front-door/my-work")
    assert mine.locator("#my-items tbody tr").count() >= 2


def test_a_worker_filters_the_worklist_to_what_they_have(browser: Any, portal: str, shots: Path) -> None:
    aisha = signed_in(browser, portal, shots, "worker-semh", "aisha")
    page = aisha.page
    assert "Unassigned" in page.inner_text("main")  # the demo leaves some of SEMH's requests to pick up
    page.check("label:has-text('Assigned to me')")
    page.click("button:has-text('Apply filters')")
    aisha.check("worklist-mine")
    assert "assigned=me" in page.url
    cells = page.locator("tbody tr").all_inner_texts()
    assert cells and all("Aisha Khan (you)" in c for c in cells), cells
    work = aisha.go("/work/semh/my-work")
    assert work.locator("#my-items tbody tr").count() == len(cells)
