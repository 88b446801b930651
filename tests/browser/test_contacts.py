"""Who to contact about the child (issue 22, item 4) in a real browser, on the demo's referrals (`make run DEMO=1`):
a speech and language therapy worker's request page shows a GOV.UK summary card per parent or carer, with the
interpreter a mother needs; the front door's page of an out-of-scope referral shows the young person's own contact
and a mother not to be contacted, with why. axe must find nothing at all on either page; screenshots go to
test-artifacts/contacts/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "contacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def nothing_at_all(v: Visit, name: str) -> Any:
    """As Visit.check, and axe must find nothing at all (not only nothing serious)."""
    page = v.check(name)
    slug = f"{v.who}-{name}"
    assert json.loads((v.artifacts / f"{slug}.axe.json").read_text()) == [], slug
    return page


def card(page: Any, title: str) -> str:
    return str(page.locator(".govuk-summary-card", has_text=title).inner_text())


def test_a_salt_worker_sees_who_to_contact_with_the_interpreter_needed(
        browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "salt")
    v.sign_in("worker-salt")
    page = v.page
    mia = page.locator("a", has_text="Mia Demo-Patel")
    mia.wait_for(timeout=30_000)
    mia.click()
    nothing_at_all(v, "request")
    assert "Who to contact about the child" in page.inner_text("main")
    mother = card(page, "Priya Demo-Patel")
    assert "Mother" in mother and "Needed: Gujarati" in mother and "07700 900104" in mother, mother
    grandparent = card(page, "Kiran Demo-Patel")
    assert "Grandparent" in grandparent and "Parental responsibility\tNo" in grandparent, grandparent


def test_the_front_door_sees_the_young_persons_own_contact_and_who_not_to_contact(
        browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "front-door")
    v.sign_in("front-door-hub")
    page = v.go("/front-door?reason=out_of_scope")
    page.locator("tr", has_text="Out of scope").first.locator("a", has_text="Decide").click()
    nothing_at_all(v, "referral")
    assert "Amelia Demo-Reid" in page.inner_text("h1")
    own = card(page, "Amelia Demo-Reid (the young person)")
    assert "amelia.reid@example.org" in own and "Preferred contact\tEmail" in own, own
    mother = card(page, "Joy Demo-Reid")
    assert "No, do not contact them: Amelia is an adult and has asked that her mother is not contacted." in mother
