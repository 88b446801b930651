"""Forms other than the referral, kept between their pages (adding a person to the register, asking for advice):
the portal's draft store under a key of their own for each person, so nothing personal travels in an address.
Each read and save is audited like the referral's draft."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.common.auth import Principal
from services.common.db import session_scope
from services.common.transactions import Subject, audit, client_of
from services.portal import drafts
from services.portal.backend import BackendError
from services.portal.pages import call_or_show_again, errors_from
from services.portal.users import User


def owner(form: str, user: User) -> str:
    """The draft store's key for this person's `form` (never the referral's: that one is keyed by the person)."""
    return f"{form}:{user.key}"


def _audit(session: Any, request: Request, user: User, key: str, action: str) -> None:
    by = Principal(subject=user.key, roles=frozenset({user.role}))
    audit(session, by, action, Subject(record_id=uuid.UUID(drafts.draft_id(session, key))), status=200,
          client=client_of(request))


def load(request: Request, user: User, form: str, action: str | None = None) -> tuple[dict[str, Any], str]:
    """The person's answers so far and the draft's id; `action`: audited as a read when there are answers."""
    key = owner(form, user)
    with session_scope(request.app.state.engine) as session:
        answers = drafts.load(session, key)
        if action and answers:
            _audit(session, request, user, key, action)
        return answers, drafts.draft_id(session, key)


def save(request: Request, user: User, form: str, answers: dict[str, Any], action: str) -> dict[str, Any]:
    key = owner(form, user)
    with session_scope(request.app.state.engine) as session:
        merged = drafts.save(session, key, answers)
        session.flush()
        _audit(session, request, user, key, action)
        return merged


def keep(request: Request, user: User, form: str, answers: dict[str, Any], action: str, then: str) -> RedirectResponse:
    """Save the page's answers, then go on to `then` (the check-answers page)."""
    save(request, user, form, answers, action)
    return RedirectResponse(then, status_code=303)


def discard(request: Request, user: User, form: str) -> None:
    with session_scope(request.app.state.engine) as session:
        drafts.discard(session, owner(form, user))


async def send(request: Request, user: User, form: str, action: str, *, start: str,
               call: Callable[[dict[str, Any]], Awaitable[Any]], done: Callable[[Any], str],
               again: Callable[[dict[str, Any], BackendError], Response]) -> Response:
    """Send the draft with `call(answers)`. When the service takes it the draft goes and the page moves on to
    `done(answer)`; when it refuses (422), `again(answers, error)`: the form with its problems. With no draft,
    back to the form at `start`."""
    answers, _ = load(request, user, form, action)
    if not answers:
        return RedirectResponse(start, status_code=303)

    def sent(answer: Any) -> Response:
        discard(request, user, form)
        return RedirectResponse(done(answer), status_code=303)

    async def refused(exc: BackendError) -> Response:
        return again(answers, exc)

    return await call_or_show_again(call(answers), done=sent, again=refused, refusals=(422,))


def problems(exc: BackendError, form: str, field_id: Callable[[str], str],
             otherwise: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """A refusal of `form` as the error summary (each problem linked to its field's id on the form) and as
    {id: sentence} for the message beside each field (the first for each id)."""
    errors = errors_from(exc, form=form, href=lambda f: f"#{field_id(f)}", otherwise=otherwise)
    beside: dict[str, str] = {}
    for problem, error in zip(exc.problems, errors, strict=False):
        beside.setdefault(field_id(problem["field"]), error["text"])
    return errors, beside
