"""The child's page and "who saw this child" in the portal (issue 23, items 2 and 8), with the real intake, worklists
and register behind it on one migrated SQLite database: what each role sees of one child, that a service's worker
sees only its own requests and what its sharing list allows (nothing held for MASH), that the trail names people, and
its CSV; nothing of the child in any log line."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from schemas.labels import nhs
from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.intake.main import create_app as intake_app
from services.portal.children import Entry, looks, timeline, trail, what_was_done
from tests.factories import CANARIES, CANARY_FAMILY, CANARY_GIVEN, CANARY_NHS
from tests.handlers.child_support import KnownChild, known_child
from tests.handlers.test_portal_need_to_know import BASE, portal, sign_in  # noqa: F401 - the portal fixture

NAME = f"{CANARY_GIVEN} {CANARY_FAMILY}"


@pytest.fixture
def child(session: Session) -> KnownChild:
    return known_child(session)


async def test_the_front_door_sees_the_whole_child_with_links_to_its_referral_page(
        portal: httpx.AsyncClient, child: KnownChild) -> None:  # noqa: F811
    await sign_in(portal, "front-door-hub")
    page = await portal.get(f"/children/{child.child_id}")
    assert page.status_code == 200
    for shown in (NAME, "27 February 2014", "Example Academy", "SS7", nhs(CANARY_NHS), "Counselling",
                  "Mental health (SEMH)", "Held for MASH", "Dynamic Support Register",
                  f'href="/front-door/referrals/{child.referral.id}"'):
        assert shown in page.text, shown
    assert f"/dsr/{child.entry.id}" not in page.text  # the front door has no register entry page
    assert "/who-saw" not in page.text  # the front door does not read the audit trail; its manager does


async def test_the_dsr_panel_links_the_register_entry_and_its_chair_the_trail(
        portal: httpx.AsyncClient, child: KnownChild) -> None:  # noqa: F811
    await sign_in(portal, "dsr-member")
    page = (await portal.get(f"/children/{child.child_id}")).text
    assert f'href="/dsr/{child.entry.id}"' in page and "/who-saw" not in page
    assert "/front-door/referrals/" not in page
    await sign_in(portal, "dsr-chair")
    assert f'href="/children/{child.child_id}/who-saw"' in (await portal.get(f"/children/{child.child_id}")).text


async def test_a_service_worker_sees_its_own_request_and_what_it_is_told_only(
        portal: httpx.AsyncClient, child: KnownChild) -> None:  # noqa: F811
    await sign_in(portal, "worker-counselling")
    page = await portal.get(f"/children/{child.child_id}")
    assert page.status_code == 200
    assert NAME in page.text and "SS7" in page.text and "Example Academy" in page.text
    assert f'href="/work/counselling/{child.counselling_request}"' in page.text
    assert CANARY_NHS not in page.text and nhs(CANARY_NHS) not in page.text and "NHS number" not in page.text
    assert str(child.held_request) not in page.text and "Mental health (SEMH)" not in page.text
    assert str(child.referral.id) not in page.text and "Referrals" not in page.text and "/who-saw" not in page.text


async def test_a_request_held_for_mash_shows_its_worker_no_child(portal: httpx.AsyncClient,  # noqa: F811
                                                                 child: KnownChild) -> None:
    await sign_in(portal, "worker-semh")
    page = await portal.get(f"/children/{child.child_id}")
    assert page.status_code == 404 and "Child not found" in page.text
    assert all(canary not in page.text for canary in CANARIES)


async def test_mash_reads_everything_and_its_own_request_page(portal: httpx.AsyncClient,  # noqa: F811
                                                                 child: KnownChild) -> None:
    await sign_in(portal, "worker-safeguarding")
    page = (await portal.get(f"/children/{child.child_id}")).text
    assert NAME in page and "Mental health (SEMH)" in page and "Counselling" in page and nhs(CANARY_NHS) in page


@pytest.mark.parametrize("person", ["senco-seaview", "commissioning", "fd-admin", "asc-practitioner"])
async def test_people_without_a_child_page_are_refused(portal: httpx.AsyncClient, child: KnownChild,  # noqa: F811
                                                       person: str) -> None:
    await sign_in(portal, person)
    page = await portal.get(f"/children/{child.child_id}")
    assert page.status_code == 403 and CANARY_GIVEN not in page.text


async def test_who_saw_names_people_lists_a_refusal_and_its_own_reading(
        portal: httpx.AsyncClient, child: KnownChild) -> None:  # noqa: F811
    c = child.child_id
    await sign_in(portal, "front-door-hub")
    assert (await portal.get(f"/children/{c}")).status_code == 200
    assert (await portal.get(f"/children/{c}/who-saw")).status_code == 403
    await sign_in(portal, "worker-salt")
    assert (await portal.get(f"/children/{c}")).status_code == 404  # no request of its own: refused, and audited
    await sign_in(portal, "front-door-manager")
    first = await portal.get(f"/children/{c}/who-saw")
    assert first.status_code == 200
    assert "Dana Wright" in first.text and "front-door-hub" not in first.text
    assert "Kim Evans" in first.text and "Refused: not found (404)" in first.text
    assert "Viewed" in first.text and "Front door" in first.text
    again = (await portal.get(f"/children/{c}/who-saw")).text
    assert "Opened who saw this child" in again and "Jordan Price" in again


async def test_who_saw_downloads_as_csv_and_the_download_is_audited(
        portal: httpx.AsyncClient, child: KnownChild) -> None:  # noqa: F811
    c = child.child_id
    await sign_in(portal, "front-door-hub")
    await portal.get(f"/children/{c}")
    await sign_in(portal, "dsr-chair")
    answer = await portal.get(f"/children/{c}/who-saw.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f'filename="who-saw-{c}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == ["at", "who", "actor", "role", "what", "action", "outcome", "status", "client_address",
                             "how", "service", "audit_id"]
    assert ("Dana Wright", "front-door-hub", "front_door", "Viewed", "child.read", "allowed") in [
        (r["who"], r["actor"], r["role"], r["what"], r["action"], r["outcome"]) for r in rows]
    assert [r["at"] for r in rows] == sorted((r["at"] for r in rows), reverse=True)
    after = (await portal.get(f"/children/{c}/who-saw")).text
    assert "Downloaded who saw this child" in after and "Alex Morgan" in after


async def test_nothing_of_the_child_is_logged(portal: httpx.AsyncClient, child: KnownChild,  # noqa: F811
                                              caplog: pytest.LogCaptureFixture,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    for person, path in (("front-door-hub", ""), ("worker-counselling", ""), ("worker-semh", ""),
                         ("front-door-manager", "/who-saw"), ("front-door-manager", "/who-saw.csv")):
        await sign_in(portal, person)
        await portal.get(f"/children/{child.child_id}{path}")
    logged = caplog.text + "".join(capsys.readouterr())
    assert "/children/" in logged or "child" in logged  # the requests were logged, by route
    assert all(canary not in logged for canary in CANARIES)


def test_the_timeline_merges_every_source_newest_first() -> None:
    referral = [Entry("2026-03-01T10:00:00+00:00", "Referral", "Referral received"),
                Entry("2026-03-03T09:00:00+00:00", "Decision", "Sent to counselling")]
    notes = [Entry("2026-03-02T12:00:00+00:00", "Note", "Rang the school")]
    register = [Entry("2026-03-03T09:00:00+01:00", "Register entry", "Added")]  # 08:00 UTC: before the decision
    assert [e.text for e in timeline(referral, notes, register)] == [
        "Sent to counselling", "Added", "Rang the school", "Referral received"]
    assert timeline() == []


@pytest.mark.parametrize(("action", "done"), [
    ("child.read", "Viewed"), ("GET /children/{child_id}", "Viewed"), ("front_door.queue", "Viewed"),
    ("worklist.list", "Viewed"), ("dsr.agenda", "Viewed"), ("search.name", "Searched"),
    ("dsr.export", "Exported"), ("GET /dsr/export.csv", "Exported"), ("front_door.merge", "Changed"),
    ("worklist.accept", "Changed"), ("POST /referrals", "Changed"), ("audit.who_saw", "Opened who saw this child"),
    ("audit.who_saw.export", "Downloaded who saw this child"),
])
def test_what_was_done_in_words(action: str, done: str) -> None:
    assert what_was_done(action) == done


async def test_who_saw_names_people_the_portal_never_seeded_and_says_when_nobody_knows_a_name(
        portal: httpx.AsyncClient, child: KnownChild, engine: Engine) -> None:  # noqa: F811
    """With a real identity provider the portal seeds nobody: a person appears by the name their token gave the
    service they used; a login id only when no service knows a name for it."""
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake_app(settings, engine=engine)),
                                 base_url="http://intake") as intake:
        for subject, role, name in (("oidc|7f3a", "front_door", "Casey Nguyen"), ("oidc|11b2", "dsr_panel", None)):
            token = mint_dev_token(settings, subject=subject, roles=[role], name=name)
            answer = await intake.get(f"/children/{child.child_id}", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200
    await sign_in(portal, "front-door-manager")
    page = (await portal.get(f"/children/{child.child_id}/who-saw")).text
    assert "Casey Nguyen" in page and "oidc|7f3a" not in page
    assert "Unknown person (login ID: oidc|11b2)" in page and "DSR meeting" in page


def trail_rows(page: str) -> list[list[str]]:
    """The trail table's rows as the cells' text."""
    table = page.split('id="trail"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody", 1)[1], re.S)]


async def test_one_look_at_the_childs_page_is_one_row_and_the_download_keeps_every_record(
        portal: httpx.AsyncClient, child: KnownChild) -> None:  # noqa: F811
    c = child.child_id
    await sign_in(portal, "front-door-hub")
    assert (await portal.get(f"/children/{c}")).status_code == 200  # reads intake, the register, notes...
    await sign_in(portal, "front-door-manager")
    page = (await portal.get(f"/children/{c}/who-saw")).text
    danas = [row for row in trail_rows(page) if any("Dana Wright" in cell for cell in row)]
    assert len(danas) == 1 and "Viewed" in danas[0] and "Allowed" in danas[0]
    assert "The download has every recorded access" in page
    every = list(csv.DictReader(io.StringIO((await portal.get(f"/children/{c}/who-saw.csv")).text)))
    assert len([r for r in every if r["who"] == "Dana Wright" and r["what"] == "Viewed"]) >= 2


T0 = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc)


def seen(actor: str, seconds: float, action: str = "child.read", outcome: str = "allowed", status: int = 200,
         audit_id: int = 0) -> dict[str, Any]:
    return {"audit_id": audit_id, "at": (T0 + timedelta(seconds=seconds)).isoformat(), "actor": actor,
            "role": "front_door", "action": action, "outcome": outcome, "status": status, "client_address": "10.0.0.1",
            "how": "named", "referral_id": None, "record_id": None, "name": None}


@pytest.mark.parametrize(("rows", "shown"), [
    pytest.param([seen("dana", 0), seen("dana", 0.4), seen("dana", 1.2)], [("dana", "Viewed", "Allowed", 3)],
                 id="one look: three reads"),
    pytest.param([seen("dana", 0), seen("dana", 40)], [("dana", "Viewed", "Allowed", 1)] * 2,
                 id="two looks a while apart"),
    pytest.param([seen("dana", 0), seen("dana", 1, outcome="refused", status=403)],
                 [("dana", "Viewed", "Refused (403)", 1), ("dana", "Viewed", "Allowed", 1)],
                 id="allowed and refused kept apart"),
    pytest.param([seen("dana", 0), seen("sol", 0.5)],
                 [("sol", "Viewed", "Allowed", 1), ("dana", "Viewed", "Allowed", 1)], id="two people"),
    pytest.param([seen("dana", 0), seen("dana", 1, action="front_door.assign")],
                 [("dana", "Changed", "Allowed", 1), ("dana", "Viewed", "Allowed", 1)], id="a view and a change"),
    pytest.param([seen("dana", 0), seen("sol", 1), seen("dana", 2)],
                 [("sol", "Viewed", "Allowed", 1), ("dana", "Viewed", "Allowed", 2)], id="another person between"),
    pytest.param([seen("dana", 0), seen("dana", 3), seen("dana", 6), seen("dana", 9)],
                 [("dana", "Viewed", "Allowed", 2)] * 2, id="a look lasts a few seconds, not as long as reads go on"),
    pytest.param([seen("dana", 0, action="dsr.export"), seen("dana", 0.1, action="search.name")],
                 [("dana", "Searched", "Allowed", 1), ("dana", "Exported", "Allowed", 1)], id="export and search"),
    pytest.param([], [], id="nobody"),
])
def test_rows_of_one_look_are_one_row(rows: list[dict[str, Any]], shown: list[tuple[str, str, str, int]]) -> None:
    grouped = looks(trail({"intake": rows}, {}))
    assert [(r["actor"], r["what"], r["outcome_words"], r["records"]) for r in grouped] == shown
    assert [r["at"] for r in grouped] == sorted((r["at"] for r in grouped), reverse=True)


def test_a_look_starts_when_its_first_read_was_and_says_every_place_it_came_from() -> None:
    rows = [seen("dana", 0, audit_id=1), seen("dana", 1, audit_id=2) | {"how": "in a list",
                                                                        "client_address": "10.0.0.2"}]
    [look] = looks(trail({"intake": rows[:1], "dsr": rows[1:]}, {}))
    assert look["at"] == rows[0]["at"] and look["records"] == 2
    assert look["client_address"] == "10.0.0.1, 10.0.0.2"
    assert look["how_words"] == "The child's record; In a list"
