"""People, not login ids, and statuses that say what happened (issue 22, items 6 and 7), in a real browser on the demo
(`make run DEMO=1`, whose workers act under the seeded people's names). The SENCO's "My referrals" names each child
and says where each service's request stands in words, with "Due by" explained; her referral's timeline says which
team acted, never who; the front door's page of the same referral names the worker and their team; a worker's header
is a person. axe finds nothing at all on any of these pages. Screenshots: var/screenshots/ (people-*, statuses-*)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit

pytestmark = pytest.mark.integration

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DUE_WORDS = "“Due by” is the date the service aims to respond by: to accept the request or say why not."
DECLINED = ("Early help: declined — signposted to Local housing advice service, because The family is already "
            "supported by the housing team.")


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "people_and_statuses"
    folder.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return folder


def looked_at(v: Visit, name: str, shot: str) -> Any:
    """As Visit.check, axe finding nothing at all, and the page kept as var/screenshots/<shot>.png."""
    page = v.check(name)
    slug = f"{v.who}-{name}"
    assert json.loads((v.artifacts / f"{slug}.axe.json").read_text()) == [], slug
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    return page


def test_my_referrals_say_where_each_request_stands(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "senco")
    v.sign_in("senco-seaview")
    page = v.page
    v.go("/referrals")
    page = looked_at(v, "my-referrals", "statuses-my-referrals")
    row = page.locator("tr", has_text=DECLINED)
    assert row.count() == 1, page.inner_text("main")
    child = row.locator("th a").inner_text()
    assert child and "Referral" not in child  # the child's name, not a reference
    assert DUE_WORDS in page.inner_text("main")
    assert "Routed" not in page.inner_text("table")
    row.locator("th a").click()
    looked_at(v, "referral-declined", "statuses-referral")
    main = page.inner_text("main")
    assert child in page.inner_text("h1") and DUE_WORDS in main
    assert "Declined — signposted to Local housing advice service" in main


def test_the_referrer_sees_the_team_and_the_front_door_the_person(browser: Any, portal: str, shots: Path) -> None:
    referrer = Visit(browser, portal, shots, "senco-people")
    referrer.sign_in("senco-seaview")
    page = referrer.go("/referrals")
    accepted = page.locator("tr", has_text="Speech and language therapy: accepted").first.locator("th a")
    referral_id = (accepted.get_attribute("href") or "").rsplit("/", 1)[-1]
    accepted.click()
    looked_at(referrer, "referral-accepted", "people-referrer-timeline")
    timeline = page.locator("ol.govuk-list--number").last.inner_text()
    assert "accepted — by Speech and language therapy" in timeline, timeline
    assert "Kim Evans" not in page.inner_text("main") and "demo-worker" not in page.inner_text("main")

    front_door = Visit(browser, portal, shots, "front-door-people")
    front_door.sign_in("front-door-hub")
    front_door.page.goto(f"{portal}/front-door/referrals/{referral_id}")
    looked_at(front_door, "referral", "people-front-door-referral")
    timeline = front_door.page.locator("ol.govuk-list--number").last.inner_text()
    assert "accepted — by Kim Evans, Speech and language therapy" in timeline, timeline
    assert "demo-worker" not in front_door.page.inner_text("main")


def test_a_worker_is_signed_in_as_a_person_with_their_team(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "salt-people")
    v.sign_in("worker-salt")
    page = looked_at(v, "home-worker-salt", "people-worker-home")
    account = page.inner_text("section[aria-label='Your account']")
    assert "Signed in as Kim Evans (Speech and language therapy)" in account
