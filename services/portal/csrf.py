"""Cross-site request forgery: every request that changes something must come from the portal's own pages.

Three checks on every POST, PUT, PATCH and DELETE, in this order (`protect`, a dependency of every route):
1. Where the browser says it came from. `Sec-Fetch-Site` of `cross-site` or `same-site` is refused (a page on
   another port of the same host is "same-site", and SameSite=Lax cookies go with its requests), and so is an
   `Origin` that is not the portal's own (`settings.portal_url`, or the address the request was sent to). An
   `Origin` of `null` says nothing: under `Referrer-Policy: no-referrer` browsers send `null` for the portal's own
   forms, so `Sec-Fetch-Site` (which no page can set) and the token decide. Clients that send neither header (older
   browsers, scripts) go on to the token check.
2. What was sent: only a form (`application/x-www-form-urlencoded`, or `multipart/form-data` where a file is
   uploaded), anything else 415.
3. The form's `csrf_token` field must equal the token kept in the person's session, compared in constant time.

The token is made once per session (`token`, when a page first shows a form) and kept in the session, which is
server-side: it is never in a cookie, so a page on another port of the same host, which can set cookies for the
host, cannot plant a token it knows. That is why this is not asgi-csrf (or starlette-csrf): both are
double-submit designs, where the token is a cookie and the check is form field == cookie, not bound to the
session. A signed cookie does not help: the attacker gets a validly signed token by visiting the portal and
tosses it into the victim's browser from the other port. starlette-csrf also wants the token in a header,
which plain HTML forms (the portal works without JavaScript) cannot send.

A refusal is a page in words (403 or 415), never a 500, and nothing is lost: a draft stays where it was saved.
A form the portal's own page posted just after the person's session timed out (the browser says it came from the
portal itself, and the ended session says whose it was) is not acted on either: it is kept for that person
(`SessionEndedError`), who is brought back to it once they sign in again (routes/sign_in.py)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starsessions import get_session_id, is_loaded, load_session

from services.portal import sessions

FIELD = "csrf_token"
SESSION_KEY = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM = "application/x-www-form-urlencoded"
UPLOAD = "multipart/form-data"

EXPIRED = ("This form has expired", "This form has expired. Go back, reload the page and try again.")
ELSEWHERE = ("This form came from another site",
             "Front Door only accepts forms sent from its own pages. Go back to Front Door, reload the page and "
             "try again.")
NOT_A_FORM = ("This form could not be read",
              "Front Door only accepts forms sent from its own pages. Go back, reload the page and try again.")


class CsrfRefusedError(Exception):
    """A state-changing request the portal will not act on: shown as a page with this status and these words."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(title)
        self.status, self.title, self.message = status, title, message


class SessionEndedError(Exception):
    """A form of the portal's own page posted after its person's session timed out: `kept` for them."""

    def __init__(self, kept: dict[str, Any]):
        super().__init__("the session ended")
        self.kept = kept


NOT_KEPT = ("/sign-in", "/sign-out", "/session/extend")  # forms about the session itself: nothing to come back to


def token(session: dict[str, object]) -> str:
    """This session's token, made the first time a form is shown."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, str) or not kept:
        kept = secrets.token_urlsafe(32)
        session[SESSION_KEY] = kept
    return kept


def field(request: Request) -> Markup:
    """The hidden field every `<form method="post">` carries (a template global: `{{ csrf_field(request) }}`)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token(request.session))


def origin(url: str) -> str:
    """`scheme://host[:port]` of an address, lower case, default ports left out."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def from_elsewhere(headers: Mapping[str, str], own: set[str]) -> bool:
    """Whether the browser says this request came from a page that is not one of the portal's own `own` origins."""
    if headers.get("sec-fetch-site", "").strip().lower() in ("cross-site", "same-site"):
        return True
    sent = headers.get("origin")
    if sent is None or sent.strip().lower() == "null":  # no-referrer pages send "null" for their own forms
        return False
    return not sent.strip() or origin(sent.strip()) not in own


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def matches(sent: object, kept: object) -> bool:
    """The form's token against the session's, in constant time; a missing or empty one never matches."""
    if not isinstance(sent, str) or not isinstance(kept, str) or not sent or not kept:
        return False
    return secrets.compare_digest(sent.encode(), kept.encode())


def own_origins(request: Request) -> set[str]:
    return {origin(request.app.state.settings.portal_url), origin(str(request.base_url))}


async def protect(request: Request) -> None:
    """Refuse a state-changing request that is not a form sent from the portal's own page in this session."""
    if request.method in SAFE_METHODS:
        return
    if "session_handler" in request.scope and not is_loaded(request):  # server-side sessions load on demand
        await load_session(request)
    if from_elsewhere(request.headers, own_origins(request)):
        raise CsrfRefusedError(403, *ELSEWHERE)
    if media_type(request.headers.get("content-type")) not in (FORM, UPLOAD):
        raise CsrfRefusedError(415, *NOT_A_FORM)
    await request.body()  # kept on the request: the route reads the same body again (`deps.form_data`)
    try:
        form = await request.form()  # kept on the request too: the admin upload reads the same form
    except HTTPException as exc:  # a malformed multipart body
        raise CsrfRefusedError(400, *NOT_A_FORM) from exc
    if not matches(form.get(FIELD), request.session.get(SESSION_KEY)):
        kept = await kept_after_timeout(request)
        if kept is not None:
            raise SessionEndedError(kept)
        raise CsrfRefusedError(403, *EXPIRED)


def from_here(headers: Mapping[str, str], own: set[str]) -> bool:
    """Whether the browser says this request came from one of the portal's own pages (not merely nothing else)."""
    sent = headers.get("origin", "").strip()
    return (headers.get("sec-fetch-site", "").strip().lower() == "same-origin"
            or (bool(sent) and sent.lower() != "null" and origin(sent) in own))


async def kept_after_timeout(request: Request) -> dict[str, Any] | None:
    """A form the portal's own page posted after its person's session timed out, to keep for that person: the
    address and every answer (not the token). None for anything else: a sign-out, an upload, a form of unknown
    origin, or nobody's session."""
    session_id = get_session_id(request) if "session_handler" in request.scope else None
    if (not session_id or request.url.path in NOT_KEPT or sessions.owner_of(request.session) is not None
            or media_type(request.headers.get("content-type")) != FORM
            or not from_here(request.headers, own_origins(request))):
        return None
    owner = sessions.store_of(request).ended_owner(session_id)
    if owner is None:
        return None
    answers = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    answers.pop(FIELD, None)
    return {"for": owner, "path": request.url.path, "answers": [[k, v] for k, vs in answers.items() for v in vs]}
