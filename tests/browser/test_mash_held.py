"""MASH releases and declines the requests it holds, in a real browser against the stack `make run DEMO=1` starts
(issue 20, item 2). The demo's disclosure referral (Noah) goes to MASH with SEMH and early help held: MASH sees
them listed in words, tries to decline with no reason (the error summary), releases SEMH, refreshes,
comes Back (the page as it is now), tries the release again from a tab opened before it (the page in words
that it has already been released), and declines early help with a reason.
SEMH's worker then sees the request in full; early help's worker sees it declined and never the child. axe finds
nothing at all on these pages, at normal size and at 200% zoom; screenshots go to test-artifacts/mash_held/."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser import test_portal
from tests.browser.test_advice_and_register import StrictVisit

pytestmark = pytest.mark.integration
CHILD = "Noah Demo-Brown"
WHY = "Police and children's social care are already working with the family; MASH is leading."


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "mash_held"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_noahs_request(v: StrictVisit) -> Any:
    page = v.page
    for _ in range(60):  # the demo's referrals are still being decided when the stack says it is ready
        v.go("/work/safeguarding")
        if CHILD in page.inner_text("main"):
            break
        time.sleep(1)
    page.click(f"a:has-text('{CHILD}')")
    return v.check("noah")


def zoomed(v: StrictVisit, name: str) -> None:
    """The page as it is at 200% zoom (half the width in CSS pixels, as a 1280-pixel window zoomed to 200%): nothing
    runs off the side and axe finds nothing. The same page, so a page that answered a form is checked too."""
    page, size = v.page, v.page.viewport_size
    page.set_viewport_size({"width": size["width"] // 2, "height": size["height"] // 2})
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        page.screenshot(path=str(v.artifacts / f"zoom-200-{name}.png"), full_page=True)
        violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        (v.artifacts / f"zoom-200-{name}.axe.json").write_text(json.dumps(violations, indent=1))
    finally:
        page.set_viewport_size(size)
    assert overflow <= 0 and violations == [], (name, overflow, [x["id"] for x in violations])


def test_mash_releases_one_held_request_and_declines_another_with_a_reason(
        browser: Any, portal: str, shots: Path) -> None:  # noqa: F811
    v = StrictVisit(browser, portal, shots, "mash")
    v.sign_in("worker-safeguarding")
    page = open_noahs_request(v)
    held = page.inner_text("#held ~ table")
    for words in ("Mental health (SEMH)", "Early help", "Family support", "Routine"):
        assert words in held, held
    ids = dict(zip(page.locator("#held-decline input[name='request_id']").evaluate_all("es => es.map(e => e.value)"),
                   page.locator("#held-decline .govuk-checkboxes__label").all_inner_texts(), strict=True))
    semh = next(i for i, text in ids.items() if text.startswith("Mental health"))
    early = next(i for i, text in ids.items() if text.startswith("Early help"))
    mash_page = page.url
    zoomed(v, "held")

    page.check(f"#held-decline input[value='{early}']")  # a decline without a reason: the error summary
    page.click("#held-decline button:has-text('Decline')")
    v.check("decline-no-reason")
    assert "Enter why you are declining these requests" in page.locator(".govuk-error-summary").inner_text()
    page.click(".govuk-error-summary a")
    assert page.evaluate("() => document.activeElement.id") == "held-reason"
    zoomed(v, "decline-no-reason")

    v.go(mash_page.removeprefix(portal))
    stale = page.context.new_page()  # the same page open in another tab, from before the release
    stale.add_init_script(path=str(test_portal.AXE))
    stale.goto(mash_page)
    page.click("button:has-text('Release the Mental health (SEMH) request')")
    v.check("released")
    assert "1 held request released" in page.locator(".govuk-notification-banner").inner_text()
    assert "Mental health" not in page.inner_text("#held ~ table")
    page.reload()  # a refresh shows the page again, and decides nothing again
    v.check("released-reloaded")
    assert page.locator("#held ~ table tbody tr").count() == 1
    page.go_back()  # Back: the page is not kept (no-store), so it shows what is held now
    v.check("back")
    assert "Mental health" not in page.inner_text("#held ~ table")
    v.page = stale  # the other tab still offers the release: trying it is a page in words
    stale.click("button:has-text('Release the Mental health (SEMH) request')")
    v.check("released-elsewhere")
    assert stale.inner_text("h1") == "This request has already been released"
    assert "Someone else has decided on it" in stale.inner_text("main")
    v.page = page
    stale.close()

    v.go(mash_page.removeprefix(portal))
    page.check(f"#held-decline input[value='{early}']")
    page.fill("#held-reason", WHY)
    page.click("#held-decline button:has-text('Decline')")
    v.check("declined")
    assert "1 held request declined" in page.locator(".govuk-notification-banner").inner_text()
    assert "Requests held for your decision" not in page.inner_text("main")

    worker = StrictVisit(browser, portal, shots, "semh")
    worker.sign_in("worker-semh")
    shown = worker.go(f"/work/semh/{semh}").inner_text("main")
    assert "Noah" in shown and "Demo-Brown" in shown and "held for MASH" not in shown

    worker = StrictVisit(browser, portal, shots, "early-help")
    worker.sign_in("worker-early_help")
    shown = worker.go(f"/work/early_help/{early}").inner_text("main")
    assert "Declined" in shown and "Noah" not in shown and "Demo-Brown" not in shown
    assert not re.search(r"Noah|Demo-Brown", worker.go("/work/early_help").inner_text("main"))
