"""A worker's lists beyond today and the panel's whole register, as pages (issue 23, item 9): the portal with the real
worklists and register APIs behind it on one migrated SQLite database. The worklist's filter is a GET form (no
JavaScript): open by default, finished requests by state in the last 90 days unless another window is chosen, counts
beside each state, every row with the child's age (or "Not shared") and the date received, names not codes. "Accept"
asks first, saying the due date with its weekday and the clock; Back or a second send cannot accept twice. The
register page filters every open entry and says so in words."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from schemas.labels import day, label
from services.common.tables import OutboxMessage, utcnow
from services.dsr.tables import DsrEntry
from services.portal.routes.worker import due_by_words, list_caption, list_filter
from services.worklists.tables import WorklistItem
from tests.handlers import test_portal_need_to_know
from tests.handlers.test_portal_held import token_of
from tests.handlers.test_portal_need_to_know import sign_in
from tests.handlers.test_worklists import DETAILS, put

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process
DAY = timedelta(days=1)


@pytest.mark.parametrize(("query", "states", "days"), [
    ({}, ["open"], "90"),
    ({"status": ["completed", "declined"]}, ["completed", "declined"], "90"),
    ({"status": ["withdrawn", "open"], "days": ["30"]}, ["open", "withdrawn"], "30"),  # the page's order
    ({"status": ["lost"], "days": ["7"]}, ["open"], "90"),  # nothing it knows: the default
])
def test_the_filter_read_from_the_address(query: dict[str, list[str]], states: list[str], days: str) -> None:
    assert list_filter(query) == (states, days)


@pytest.mark.parametrize(("states", "words"), [
    (["open"], "Open requests, most urgent first"),
    (["completed"], "Completed requests received in the last 90 days, the latest first"),
    (["completed", "declined", "redirected"],
     "Completed, declined and redirected requests received in the last 90 days, the latest first"),
    (["open", "withdrawn"], "Open requests, most urgent first, then withdrawn ones received in the last 90 days"),
])
def test_the_tables_caption_says_what_it_shows(states: list[str], words: str) -> None:
    assert list_caption(states, "90") == words


@pytest.mark.parametrize(("due_by", "priority", "words"), [
    ("2026-12-15T17:00:00+00:00", "soon", "Tuesday 15 December 2026"),
    ("2026-07-01T23:30:00+00:00", "routine", "Thursday 2 July 2026"),  # London's day, in summer time
])
def test_the_due_date_with_its_weekday(due_by: str, priority: str, words: str) -> None:
    assert due_by_words(due_by, priority) == words


def finished(session: Session, status: str, days_ago: float, **details: str) -> WorklistItem:
    item = put(session, "semh", status=status)
    item.received_at = utcnow() - days_ago * DAY
    item.updated_at = item.received_at + DAY
    item.details = DETAILS | details
    session.commit()
    return item


def text_of(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def cells(html: str) -> list[str]:
    """The table's rows as text, tags stripped, its cells joined by " | "."""
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", html, flags=re.DOTALL)
    return [" | ".join(text_of(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.DOTALL))
            for r in rows]


async def test_a_worker_filters_to_closed_requests_in_a_window(portal: httpx.AsyncClient, session: Session) -> None:
    finished(session, "created", 1, given_name="Olive")
    finished(session, "completed", 10, given_name="Cora")
    finished(session, "declined", 200, given_name="Dora")
    finished(session, "redirected", 5, given_name="Rita")
    await sign_in(portal, "worker-semh")
    page = (await portal.get("/work/semh")).text
    assert [r.split(" | ")[0] for r in cells(page)[1:]] == ["Olive Lee"]
    for words in ("Open (1)", "Completed (1)", "Declined (0)", "Redirected (1)", "Withdrawn (0)",
                  "In the last 90 days"):
        assert words in text_of(page)
    assert 'value="90" checked' in page
    closed = (await portal.get("/work/semh?status=completed&status=declined&status=redirected")).text
    rows = cells(closed)[1:]
    assert [r.split(" | ")[0] for r in rows] == ["Rita Lee", "Cora Lee"]  # the latest finished first
    assert "Completed on" in rows[1] and "Redirected on" in rows[0]
    year = (await portal.get("/work/semh?status=declined&days=365")).text
    assert [r.split(" | ")[0] for r in cells(year)[1:]] == ["Dora Lee"]
    assert "Declined (1)" in text_of(year)


async def test_every_row_says_the_age_and_when_received(portal: httpx.AsyncClient, session: Session) -> None:
    shared = finished(session, "created", 2, given_name="Ada", date_of_birth=(date.today() - 400 * DAY).isoformat())
    hidden = finished(session, "created", 3, given_name="Bea")
    hidden.details = {k: v for k, v in hidden.details.items() if k != "date_of_birth"}
    session.commit()
    await sign_in(portal, "worker-semh")
    rows = {r.split(" | ")[0]: r.split(" | ") for r in cells((await portal.get("/work/semh")).text)[1:]}
    assert rows["Ada Lee"][1] == "13 months" and rows["Bea Lee"][1] == "Not shared"
    assert rows["Ada Lee"][2] == day(shared.received_at)  # a GOV.UK date: "5 December 2026"
    assert rows["Ada Lee"][3:5] == ["Routine", label("community")] != ["routine", "community"]  # names, not codes


async def test_accept_asks_first_and_cannot_accept_twice(portal: httpx.AsyncClient, session: Session) -> None:
    item = finished(session, "created", 0)
    item.priority, item.due_by = "soon", item.received_at + 14 * DAY
    session.commit()
    await sign_in(portal, "worker-semh")
    request_page = (await portal.get(f"/work/semh/{item.id}")).text
    assert f'href="/work/semh/{item.id}/accept"' in request_page  # a link to the question, not a form that accepts
    ask = await portal.get(f"/work/semh/{item.id}/accept")
    text = text_of(ask.text)
    assert ask.status_code == 200 and "Are you sure you want to accept this request?" in text
    due = due_by_words(item.due_by.isoformat(), "soon")
    assert f"You are accepting this request for Sam Lee. The first contact is due by {due}" in text
    assert re.search(r"\(\d+ working days? from when it was received\)", text)
    yes = await portal.post(f"/work/semh/{item.id}/accept", data={"csrf_token": token_of(ask.text)})
    assert yes.status_code == 303 and yes.headers["location"] == f"/work/semh/{item.id}?done=accept"
    again = await portal.post(f"/work/semh/{item.id}/accept", data={"csrf_token": token_of(ask.text)})  # Back, send
    assert again.status_code == 409 and "This request has already been accepted" in again.text
    assert "Yes, accept this request" not in again.text
    back = await portal.get(f"/work/semh/{item.id}/accept")  # Back to the question after accepting
    assert "This request has already been accepted" in back.text and "Yes, accept" not in back.text
    session.expire_all()
    assert len(session.exec(select(OutboxMessage)).all()) == 1  # accepted once, announced once


async def test_a_held_request_cannot_be_accepted_and_its_child_is_not_shown(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    item = put(session, "semh", held=True)
    await sign_in(portal, "worker-semh")
    ask = await portal.get(f"/work/semh/{item.id}/accept")
    assert "held until the safeguarding team (MASH) releases it" in ask.text and "Yes, accept" not in ask.text
    for page in (ask.text, (await portal.get("/work/semh")).text):
        assert "Sam" not in page and "Lee" not in page and "2014" not in page


def on_register(session: Session, name: str, rating: str | None, born: date, review: date | None,
                source: str = "triage") -> None:
    session.add(DsrEntry(id=uuid.uuid4(), child_id=uuid.uuid4(), status="active", rating=rating, given_name=name,
                         family_name="Test", date_of_birth=born, next_review_due=review, source=source))
    session.commit()


async def test_the_panel_filters_the_whole_register(portal: httpx.AsyncClient, session: Session) -> None:
    today = date.today()
    on_register(session, "Ada", "red", date(today.year - 15, 1, 1), today - 3 * DAY)
    on_register(session, "Ben", "amber", date(today.year - 10, 1, 1), today + 60 * DAY)
    on_register(session, "Cal", "green", date(today.year - 30, 1, 1), today + 90 * DAY, source="direct")
    await sign_in(portal, "dsr-chair")
    whole = await portal.get("/dsr/register")
    assert whole.status_code == 200
    assert [r.split(" | ")[0] for r in cells(whole.text)[1:]] == ["Ada Test", "Ben Test", "Cal Test"]
    active = re.findall(r'service-navigation__item--active">\s*<a[^>]*href="([^"]+)"', whole.text)
    assert active == ["/dsr/register"]  # in the menu, "The register" alone is the page's (not the agenda at /dsr)
    red = await portal.get("/dsr/register?rating=red&rating=amber&source=triage&order=latest")
    rows = cells(red.text)[1:]
    assert [r.split(" | ")[0] for r in rows] == ["Ben Test", "Ada Test"]
    assert "Overdue" in rows[1] and "A children's referral" in rows[1]
    page = text_of(red.text)
    assert "Red (1)" in page and "Amber (1)" in page and "Added directly (0)" in page  # with the other filters
    assert "Showing 2 of 3 open entries" in page
