"""Case notes in the portal (issue 23, item 4), with the real intake, worklists and register behind it on one SQLite
database: the "Notes" section of the front-door referral page, a worker's request page and a register entry's page;
adding a note (its key makes a second send of the same form add nothing); an empty or too-long note in the
catalogue's words with the words kept; a request held for MASH shows no notes at all."""

from __future__ import annotations

import re
import uuid
from html import unescape

import httpx
import pytest
from sqlmodel import Session

from services.worklists.handlers import decide_held
from tests.handlers import test_portal_need_to_know
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import submit
from tests.handlers.test_case_notes import request_for
from tests.handlers.test_dsr import applied, decision
from tests.handlers.test_portal_need_to_know import sign_in

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def note_form(html: str) -> dict[str, str]:
    """The "Add a note" form's hidden fields (its CSRF token and its key), as the page gave them."""
    form = re.search(r'<form method="post" action="([^"]+/notes)".*?</form>', html, flags=re.DOTALL)
    assert form, "no Add a note form"
    fields = dict(re.findall(r'<input type="hidden" name="(csrf_token|key)" value="([^"]+)"', form.group(0)))
    return fields | {"action": form.group(1)}


def notes_listed(html: str) -> list[str]:
    return [text(n) for n in re.findall(r'<li class="app-notes__note"[^>]*>(.*?)</li>', html, flags=re.DOTALL)]


def pages(session: Session) -> dict[str, tuple[str, str]]:
    """Each page with notes, and who signs in to it."""
    record = submit(session)
    request = request_for(session)
    entry = applied(session, decision(uuid.uuid4()))
    return {"front door": (f"/front-door/referrals/{record.id}", "front-door-hub"),
            "request": (f"/work/semh/{request.service_request_id}", "worker-semh"),
            "entry": (f"/dsr/{entry.id}", "dsr-member")}


WHO = {"front door": "Dana Wright, front door", "request": "Aisha Khan, Mental health (SEMH)",
       "entry": "Ruth Adeyemi, DSR meeting"}


@pytest.mark.parametrize("which", ["front door", "request", "entry"])
async def test_a_note_is_added_and_listed_newest_first_with_who_and_when(
        portal: httpx.AsyncClient, session: Session, which: str) -> None:
    page, user = pages(session)[which]
    await sign_in(portal, user)
    shown = await portal.get(page)
    assert shown.status_code == 200 and 'id="notes"' in shown.text and "No notes yet." in text(shown.text)
    for words in ("Rang mum: no answer.", "Mum rang back.\nShe agrees."):
        form = note_form((await portal.get(page)).text)
        sent = await portal.post(form["action"], data={"csrf_token": form["csrf_token"], "key": form["key"],
                                                       "text": words})
        assert sent.status_code == 303 and sent.headers["location"] == f"{page}?done=note#notes"
    after = await portal.get(f"{page}?done=note")
    assert "Note added" in text(after.text)
    listed = notes_listed(after.text)
    assert len(listed) == 2 and all(n.startswith(WHO[which]) for n in listed), listed
    assert listed[0].endswith("Mum rang back. She agrees.") and listed[1].endswith("Rang mum: no answer.")  # newest
    assert re.search(r"\d{1,2} \w+ \d{4}, \d{1,2}:\d{2}(am|pm)", listed[0]), listed[0]  # when, in words
    assert "Mum rang back.\nShe agrees." in unescape(after.text)  # its line break kept (shown by CSS)


@pytest.mark.parametrize("which", ["front door", "request", "entry"])
async def test_the_same_form_sent_twice_adds_one_note(portal: httpx.AsyncClient, session: Session,
                                                       which: str) -> None:
    page, user = pages(session)[which]
    await sign_in(portal, user)
    form = note_form((await portal.get(page)).text)
    data = {"csrf_token": form["csrf_token"], "key": form["key"], "text": "Sent twice by a double click"}
    first, second = await portal.post(form["action"], data=data), await portal.post(form["action"], data=data)
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(notes_listed((await portal.get(page)).text)) == 1
    other = await portal.post(form["action"], data=data | {"text": "Back, changed the words, sent again"})
    assert other.status_code == 409
    assert "A note was already added from this form" in text(other.text)
    assert "Back, changed the words, sent again" in unescape(other.text)  # kept in the form to add as a new note
    again = note_form(other.text)
    assert again["key"] != form["key"]
    added = await portal.post(again["action"], data={"csrf_token": again["csrf_token"], "key": again["key"],
                                                     "text": "Back, changed the words, sent again"})
    assert added.status_code == 303
    assert len(notes_listed((await portal.get(page)).text)) == 2


@pytest.mark.parametrize("which", ["front door", "request", "entry"])
@pytest.mark.parametrize(("words", "problem"), [
    ("", "Enter the note"), ("  \r\n ", "Enter the note"),
    ("y" * 5001, "The note must be 5,000 characters or fewer"),
])
async def test_an_empty_or_too_long_note_says_what_to_do_and_keeps_the_words(
        portal: httpx.AsyncClient, session: Session, which: str, words: str, problem: str) -> None:
    page, user = pages(session)[which]
    await sign_in(portal, user)
    form = note_form((await portal.get(page)).text)
    refused = await portal.post(form["action"], data={"csrf_token": form["csrf_token"], "key": form["key"],
                                                      "text": words})
    assert refused.status_code == 422
    assert "Error:" in refused.text.split("</title>")[0]
    summary = re.search(r'govuk-error-summary.*?</ul>', refused.text, flags=re.DOTALL)
    assert summary and problem in text(summary.group(0)) and 'href="#note-text"' in summary.group(0)
    assert f"Error: {problem}" in text(refused.text)  # by the field too
    if words.strip():
        assert words in refused.text
    assert notes_listed(refused.text) == []


async def test_a_request_held_for_mash_shows_no_notes_until_mash_releases_it(
        portal: httpx.AsyncClient, session: Session) -> None:
    event = request_for(session, held=True)
    await sign_in(portal, "worker-semh")
    page = await portal.get(f"/work/semh/{event.service_request_id}")
    assert page.status_code == 200 and 'id="notes"' not in page.text and "Add a note" not in page.text
    decide_held(session, event.referral_id, "release", by="mash-1", now=NOW, reason="Safe to go ahead")
    session.commit()
    assert 'id="notes"' in (await portal.get(f"/work/semh/{event.service_request_id}")).text


@pytest.mark.parametrize("which", ["front door", "request", "entry"])
async def test_back_then_send_again_adds_no_second_note_but_other_words_do(portal: httpx.AsyncClient,
                                                                            session: Session, which: str) -> None:
    """Pages are not cached: Back fetches the form again with a new key, and the browser puts the words back."""
    page, user = pages(session)[which]
    await sign_in(portal, user)

    async def send(words: str) -> httpx.Response:
        form = note_form((await portal.get(page)).text)  # each time a fresh page, so a fresh key
        return await portal.post(form["action"], data={"csrf_token": form["csrf_token"], "key": form["key"],
                                                       "text": words})

    assert [(await send(w)).status_code for w in ("Rang mum.", "Rang mum.", "Rang dad.", "Rang mum.")] == [303] * 4
    assert [n.rsplit("m ", 1)[-1] for n in notes_listed((await portal.get(page)).text)] == ["Rang mum.", "Rang dad.",
                                                                                          "Rang mum."]


# the child's page: notes in its timeline, each where its reader may read it

def timeline(html: str) -> list[str]:
    block = re.search(r'<ol class="govuk-list app-timeline".*?</ol>', html, flags=re.DOTALL)
    return [text(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(0), flags=re.DOTALL)] if block else []


async def add(portal: httpx.AsyncClient, page: str, words: str) -> None:
    form = note_form((await portal.get(page)).text)
    sent = await portal.post(form["action"], data={"csrf_token": form["csrf_token"], "key": form["key"],
                                                   "text": words})
    assert sent.status_code == 303


async def test_the_childs_page_shows_the_notes_each_reader_may_read_in_its_timeline(
        portal: httpx.AsyncClient, session: Session) -> None:
    record = submit(session)
    entry = applied(session, decision(record.child_id))
    long_words = "Spoke to the school nurse about the plan for lunchtimes. " * 10
    await sign_in(portal, "front-door-hub")
    await add(portal, f"/front-door/referrals/{record.id}", long_words)
    page = await portal.get(f"/children/{record.child_id}")
    [line] = [t for t in timeline(page.text) if t.startswith("Note")]
    assert "By Dana Wright, front door" in line and line.count("school nurse") < 10 and "…" in line  # shortened
    assert f'href="/front-door/referrals/{record.id}#notes"' in page.text

    await sign_in(portal, "dsr-member")
    await add(portal, f"/dsr/{entry.id}", "Panel: keyworker allocated.")
    lines = [t for t in timeline((await portal.get(f"/children/{record.child_id}")).text) if t.startswith("Note")]
    assert len(lines) == 1 and "Panel: keyworker allocated." in lines[0] and "Ruth Adeyemi, DSR meeting" in lines[0]


async def test_a_workers_child_page_shows_its_own_requests_notes_only(portal: httpx.AsyncClient,
                                                                      session: Session) -> None:
    semh = request_for(session)
    salt = request_for(session, service="salt", child_id=semh.child_id)  # the same child, another service
    await sign_in(portal, "worker-salt")
    await add(portal, f"/work/salt/{salt.service_request_id}", "SALT: assessment booked.")
    await sign_in(portal, "worker-semh")
    await add(portal, f"/work/semh/{semh.service_request_id}", "SEMH: first session done.")
    shown = timeline((await portal.get(f"/children/{semh.child_id}")).text)
    notes = [t for t in shown if t.startswith("Note")]
    assert len(notes) == 1 and "SEMH: first session done." in notes[0] and "Aisha Khan" in notes[0]
    assert not any("SALT" in t for t in shown)
