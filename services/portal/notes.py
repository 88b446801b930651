"""Case notes on a portal page (issue 23, item 4): the "Notes" section of the front-door referral page, a worker's
request page and a register entry's page (templates/_notes.html), and sending the "Add a note" form.

Each form carries a key of its own, made when the page is shown: sent twice (a double click) the service adds one
note. After a note is added the page is shown again by its address (303), so a refresh sends nothing. Pages are not
cached, so Back fetches the form again, with a new key, and the browser puts back the words typed: the person's
session keeps the key of the last note they added on each thing (for RECENT), and a form with a new key is first
sent with that one, so the very same words come back as the note already added (the service compares them) and
only other words make a new note. The words are checked here first (required, at most 5,000 characters as the
page's count counts them) in the catalogue's sentences, then by the service; on a problem the page comes back with
the words as typed and a new key. The session keeps keys and times, never the words."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from schemas.messages import sentence
from schemas.views.notes import NOTE_MAX_LENGTH, Note, written_by
from services.common.notes import one_line_break
from services.portal.backend import BackendError, Client
from services.portal.children import Entry, Links
from services.portal.pages import errors_from
from services.portal.users import User

FIELD = "#note-text"
FORM = "case_note"
ADDED = "Note added"
RECENT = timedelta(minutes=30)  # how long the same words sent again on a thing are taken as the note already added
LAST_KEYS = "note_keys"  # session: the thing's notes path -> [the key of the last note added there, when]
KEPT_KEYS = 20
IN_TIMELINE = 300  # characters of a note the child's timeline shows; its page shows the rest


async def notes_on(api: Client, service: str, path: str) -> list[dict[str, Any]] | None:
    """The notes the service shows this person on the thing at `path` (its `/notes`), newest first; None when it
    shows them none (a request held for MASH, 409; nothing there for them, 404)."""
    try:
        found: list[dict[str, Any]] = await api.read(list[Note], service, "GET", path)
    except BackendError as exc:
        if exc.status in (404, 409):
            return None
        raise
    return found


def section(notes: list[dict[str, Any]] | None, action: str, *, text: str = "",
            error: str | None = None) -> dict[str, Any] | None:
    """What templates/_notes.html shows: the notes, each with who wrote it in words, and the form (posting to
    `action`, with a new key, the words as typed and its problem). None: no section at all."""
    if notes is None:
        return None
    return {"notes": [n | {"written_by": written_by(n.get("by_name"), n["team"])} for n in notes], "action": action,
            "text": text, "key": str(uuid.uuid4()), "error": error, "max_length": NOTE_MAX_LENGTH}


async def shown(api: Client, service: str, path: str, action: str) -> dict[str, Any] | None:
    """The section for a page: the thing's notes (at `path`) and an empty form posting to `action`."""
    return section(await notes_on(api, service, path), action)


def problem_with(text: str) -> str | None:
    """The page's own check of a note's words, in the catalogue's sentence (None: fine to send)."""
    words = one_line_break(text).strip()
    if not words:
        return sentence("text", "missing", form=FORM)
    if len(words) > NOTE_MAX_LENGTH:
        return sentence("text", "string_too_long", {"max_length": NOTE_MAX_LENGTH}, form=FORM)
    return None


Again = Callable[[int, list[dict[str, str]]], Awaitable[Response]]


async def send(request: Request, api: Client, service: str, path: str, form: dict[str, list[str]], *, done: str,
               again: Again) -> Response:
    """Send the "Add a note" form to the service's `path`; added (or added already by this very form, or by the last
    one sent here with the same words): to `done`. A problem: `again(status, errors)`, the page with its error
    summary (the form keeps the words)."""
    text = next(iter(form.get("text", [])), "")
    key = next(iter(form.get("key", [])), "").strip() or str(uuid.uuid4())
    if problem := problem_with(text):
        return await again(422, [{"text": problem, "href": FIELD}])
    try:
        last = last_key(request, path)
        if last not in (None, key) and await _sent_already(api, service, path, text, last):
            return RedirectResponse(done, status_code=303)
        await api.call(service, "POST", path, json={"text": text, "key": key})
    except BackendError as exc:
        if exc.status not in (409, 422):
            raise
        return await again(exc.status, errors_from(exc, form=FORM, href=FIELD, otherwise=FIELD))
    remember(request, path, key)
    return RedirectResponse(done, status_code=303)


async def _sent_already(api: Client, service: str, path: str, text: str, last: str) -> bool:
    """The words with the last note's key: the note already added (True), or other words (the service's 409)."""
    try:
        await api.call(service, "POST", path, json={"text": text, "key": last})
    except BackendError as exc:
        if exc.status == 409:
            return False
        raise
    return True


def last_key(request: Request, path: str, now: datetime | None = None) -> str | None:
    """The key of the last note this person added on the thing at `path`, if that was within RECENT."""
    kept = request.session.get(LAST_KEYS, {}).get(path)
    if not kept:
        return None
    key, at = kept
    return str(key) if (now or datetime.now(timezone.utc)) - datetime.fromisoformat(at) <= RECENT else None


def remember(request: Request, path: str, key: str) -> None:
    """Keep `key` as the last note's on the thing at `path` (the KEPT_KEYS latest things only)."""
    kept = dict(request.session.get(LAST_KEYS, {})) | {path: [key, datetime.now(timezone.utc).isoformat()]}
    request.session[LAST_KEYS] = dict(sorted(kept.items(), key=lambda item: item[1][1])[-KEPT_KEYS:])


def kept(notes: list[dict[str, Any]] | None, action: str, form: dict[str, list[str]],
         errors: list[dict[str, str]]) -> dict[str, Any] | None:
    """The section shown again after a problem: the words as typed, the first problem by the field."""
    text = next(iter(form.get("text", [])), "")
    return section(notes, action, text=text, error=errors[0]["text"] if errors else None)


# --- the child's page: notes in its timeline ------------------------------------------------------------------------

def note_entries(notes: Iterable[Mapping[str, Any]], page_of: Callable[[Mapping[str, Any]], str | None]) -> list[Entry]:
    """Notes as lines of the child's timeline: the first words (IN_TIMELINE characters), linked to the notes on the
    page of the thing each is on (`page_of(note)`, None: this person has no page for it), and who wrote it."""
    lines = []
    for n in notes:
        page = page_of(n)
        lines.append(Entry(n["at"], "Note", shortened(n["text"]), f"{page}#notes" if page else None,
                           written_by(n.get("by_name"), n["team"])))
    return lines


def shortened(text: str, limit: int = IN_TIMELINE) -> str:
    """A note on one line, cut at a word to `limit` characters with an ellipsis when longer."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


async def on_child(api: Client, user: User, child_id: uuid.UUID, links: Links) -> list[Entry]:
    """The notes this person may read about the child, as timeline lines: the front door's on the child's referrals,
    the DSR panel's on its register entries, a service's on its own requests (none held for MASH)."""
    sources: list[tuple[str, str, Callable[[Mapping[str, Any]], str | None]]] = []
    if user.acts_as("front_door"):
        sources.append(("intake", f"/children/{child_id}/notes", lambda n: links.referral(str(n["referral_id"]))))
    if user.acts_as("dsr_panel"):
        sources.append(("dsr", f"/dsr/children/{child_id}/notes", lambda n: links.entry(str(n["entry_id"]))))
    if user.role.startswith("worker:"):
        service = user.role.removeprefix("worker:")
        sources.append(("worklists", f"/worklists/{service}/children/{child_id}/notes",
                        lambda n: f"/work/{service}/{n['service_request_id']}"))
    found = await asyncio.gather(*(api.read(list[Note], service, "GET", path) for service, path, _ in sources))
    return [line for (_, _, page_of), notes in zip(sources, found, strict=True)
            for line in note_entries(notes, page_of)]
