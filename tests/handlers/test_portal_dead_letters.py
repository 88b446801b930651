"""The administrator's "Events not processed" pages (issue 23, item 10) with the real intake behind the portal
(in-process, migrated SQLite; the broker's records stood in as in test_dead_letters_api): one row per event with
"failed N times"; one sent again leaves the list for "Events sent again" (who and when) until it fails again; the
front door's queue says what each is in words; a discard asks for the reason on a page that says what the event is
in words (never its content) and that it stays in the log; an empty reason is refused in the catalogue's words;
once discarded it leaves the list and shows, with who, when and why, under "Show discarded"; sending it again is
then refused in words."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas.labels import day
from services.common import dlq_tools
from services.common.dlq_tools import DeadLetter
from services.common.tables import DeadLetterDiscard, DeadLetterReplay
from tests.handlers import test_dead_letters_api, test_portal_need_to_know
from tests.handlers.test_dead_letters_api import AGAIN, EVENT, FIRST, OTHER, OTHER_LETTER, REASON
from tests.handlers.test_portal_error_sentences import assert_words, summary, token_of
from tests.handlers.test_portal_need_to_know import sign_in

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process
sent = test_dead_letters_api.sent  # the fixture: the broker's records stood in
SECRET = "Canary-Zebedee"  # what an event's content would hold: never on a page
pytestmark = pytest.mark.usefixtures("sent")


def words(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


async def test_the_list_shows_each_event_once_with_how_many_times_it_failed(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "fd-admin")
    page = await portal.get("/admin/dead-letters")
    assert page.status_code == 200
    said = words(page.text)
    assert "A new referral, failed 2 times" in said and "A new referral, failed once" in said
    assert said.count("It was refused: the schema version of the event is not known") == 1
    assert page.text.count(f'href="/admin/dead-letters/{EVENT}/discard"') == 1
    assert "Show discarded events (0)" in said


async def test_discarding_asks_why_then_keeps_who_when_and_why(portal: httpx.AsyncClient, engine: Engine) -> None:
    await sign_in(portal, "fd-admin")
    confirm = await portal.get(f"/admin/dead-letters/{EVENT}/discard")
    assert confirm.status_code == 200
    said = words(confirm.text)
    for shown in ("Discard this event", "A new referral", "Failed 2 times", "7 December 2026",
                  "It was refused: the schema version of the event is not known",
                  "It stays in the log but will not be offered again"):
        assert shown in said, shown
    assert SECRET not in said

    empty = await portal.post(f"/admin/dead-letters/{EVENT}/discard",
                              data={"csrf_token": token_of(confirm.text), "reason": "  "})
    assert empty.status_code == 422
    assert_words(empty.text, "Enter why you are discarding this event")
    assert 'href="#reason"' in empty.text and "A new referral" in words(empty.text)
    short = await portal.post(f"/admin/dead-letters/{EVENT}/discard",
                              data={"csrf_token": token_of(confirm.text), "reason": "test"})
    assert summary(short.text) == ["Say why you are discarding this event in 10 characters or more"]
    with Session(engine) as s:
        assert s.exec(select(DeadLetterDiscard)).all() == []

    done = await portal.post(f"/admin/dead-letters/{EVENT}/discard",
                             data={"csrf_token": token_of(confirm.text), "reason": REASON}, follow_redirects=True)
    assert done.status_code == 200
    said = words(done.text)
    assert "Event discarded. It stays in the log but will not be offered again." in said
    assert "Chris Lee" in said and REASON in said and "A new referral, failed 2 times" in said
    waiting = words((await portal.get("/admin/dead-letters")).text)
    assert "failed 2 times" not in waiting and "Show discarded events (1)" in waiting
    assert (await portal.get(f"/admin/dead-letters/{EVENT}/discard")).status_code == 404


async def test_sending_a_discarded_event_again_is_refused_in_words(portal: httpx.AsyncClient, sent: list,
                                                                   engine: Engine) -> None:
    await sign_in(portal, "fd-admin")
    confirm = await portal.get(f"/admin/dead-letters/{EVENT}/discard")
    await portal.post(f"/admin/dead-letters/{EVENT}/discard", data={"csrf_token": token_of(confirm.text),
                                                                    "reason": REASON})
    page = await portal.get("/admin/dead-letters")
    again = await portal.post("/admin/dead-letters/replay", data={
        "csrf_token": token_of(page.text), "topic": "frontdoor.referrals.submitted.dlq", "id": ["0:1", "0:2"]})
    assert again.status_code == 409
    with Session(engine) as s:
        [discard] = s.exec(select(DeadLetterDiscard)).all()
    assert summary(again.text) == [f"This event was discarded on {day(discard.at)}: it stays in the log but will not "
                                   "be offered again"]  # the day it was discarded: today, not the day this was written
    assert sent == []
    one = await portal.post("/admin/dead-letters/replay", data={
        "csrf_token": token_of(page.text), "topic": "frontdoor.referrals.submitted.dlq", "id": ["0:2"]},
        follow_redirects=True)
    assert one.status_code == 200 and "1 event sent again to be processed" in words(one.text)
    assert str(OTHER) not in words(one.text)  # ids are shown short, as people read them


@pytest.mark.parametrize("user", ["front-door-hub", "senco-seaview"])
async def test_only_an_administrator_reaches_the_pages(portal: httpx.AsyncClient, user: str) -> None:
    await sign_in(portal, user)
    for path in ("/admin/dead-letters", f"/admin/dead-letters/{EVENT}/discard"):
        assert (await portal.get(path)).status_code == 403, path


async def test_an_event_sent_again_leaves_the_list_and_says_by_whom_and_when(portal: httpx.AsyncClient,
                                                                             sent: list, engine: Engine) -> None:
    await sign_in(portal, "fd-admin")
    page = await portal.get("/admin/dead-letters")
    assert "Show events sent again (0)" in words(page.text)
    done = await portal.post("/admin/dead-letters/replay", data={
        "csrf_token": token_of(page.text), "topic": "frontdoor.referrals.submitted.dlq", "id": ["0:1"]})
    assert done.status_code == 303  # to the events sent again: a refresh sends nothing more
    assert done.headers["location"] == "/admin/dead-letters?show=sent_again&done=replayed&sent=1"
    again = await portal.get(done.headers["location"])
    said = words(again.text)
    with Session(engine) as s:
        [row] = s.exec(select(DeadLetterReplay)).all()
    when = day(row.at, time=True).split(", ")
    assert "1 event sent again to be processed" in said and "Events sent again" in said
    assert "A new referral, failed 2 times" in said
    assert f"Sent again on {when[0]} at {when[1]} by Chris Lee" in said
    assert "Show events waiting (1)" in said and "Show discarded events (0)" in said
    assert 'name="id"' not in again.text  # not offered again here
    waiting = words((await portal.get("/admin/dead-letters")).text)
    assert "failed 2 times" not in waiting and "A new referral, failed once" in waiting
    assert "Show events sent again (1)" in waiting
    assert sent == [("frontdoor.referrals.submitted.dlq", {"0:1"})]


async def test_an_event_that_failed_again_after_it_was_sent_again_says_so(
        portal: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    await sign_in(portal, "fd-admin")
    page = await portal.get("/admin/dead-letters")
    await portal.post("/admin/dead-letters/replay", data={
        "csrf_token": token_of(page.text), "topic": "frontdoor.referrals.submitted.dlq", "id": ["0:1"]})

    async def listed(bootstrap: str, topic: str) -> list[DeadLetter]:
        failed_again = replace(AGAIN, offset=3, replayed_from=f"{AGAIN.dlq_topic}:0:1")
        return [FIRST, AGAIN, OTHER_LETTER, failed_again] if topic == AGAIN.dlq_topic else []

    monkeypatch.setattr(dlq_tools, "list_dead_letters", listed)
    said = words((await portal.get("/admin/dead-letters")).text)
    assert "A new referral, failed 3 times" in said and "then failed again" in said
    assert "Show events sent again (0)" in said


async def test_the_queue_says_what_a_dead_letter_is_in_words(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "front-door-hub")
    said = words((await portal.get("/front-door")).text)
    assert "A new referral that could not be processed (failed 2 times)" in said
    assert "A new referral that could not be processed (failed once)" in said
    assert "0:1" not in said and "0:2" not in said and "frontdoor." not in said  # no offsets, no topic names
