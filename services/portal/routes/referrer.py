"""A referrer's pages: their referrals, the referral form (saved as they go), checking answers and
sending, the confirmation, and completing a referral that needs information."""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.views.advice import AdviceItem
from schemas.views.referrals import ReferralSummary, ReferralView, Submitted
from services.common.auth import Principal
from services.common.db import session_scope
from services.common.transactions import Subject, audit, client_of
from services.portal import drafts, emergency, questions
from services.portal.backend import BackendError
from services.portal.deps import Referrer, client, form_data, not_found, render
from services.portal.pages import call_or_show_again, errors_from
from services.portal.users import User

router = APIRouter()


def draft(request: Request, user: User, shown: str | None = None) -> dict[str, Any]:
    """The person's draft; `shown`: the page shows it (the action audited with the read, in the portal's database)."""
    with session_scope(request.app.state.engine) as session:
        answers = drafts.load(session, user.key)
        if shown and answers:
            audit_draft(session, request, user, shown)
        return answers


def audit_draft(session: Any, request: Request, user: User, action: str) -> None:
    by = Principal(subject=user.key, roles=frozenset({user.role}))
    audit(session, by, action, Subject(record_id=uuid.UUID(drafts.draft_id(session, user.key))), status=200,
          client=client_of(request))


def draft_id(request: Request, user: User) -> str:
    with session_scope(request.app.state.engine) as session:
        return drafts.draft_id(session, user.key)


def question_href(field: str) -> str:
    """Where the question asking a referral field is (a field no page asks has nowhere to link)."""
    page = questions.PAGE_OF.get(field)
    return f"/referrals/new/{page.slug}#{questions.html_id(field)}" if page else "#"


def emergency_help(request: Request) -> dict[str, Any]:
    """What the pages of an emergency need: the council's contacts, the ruleset's emergency risks (and in words)."""
    return emergency.help_context(request.app.state.settings)


def emergency_referral(request: Request, view: Any) -> dict[str, Any]:
    """An emergency referral's page: whether it is one, its emergency request and when that is due, in words."""
    now = datetime.now(UTC)
    help_ = emergency_help(request)
    route = emergency.emergency_request(view)
    return help_ | {"emergency": emergency.is_emergency(view, help_["emergency_risks"]), "emergency_route": route,
                    "emergency_due": emergency.due_words(route["due_by"], now) if route else None,
                    "due_when": lambda due: emergency.due_when(due, now)}


def check_page(request: Request, answers: dict[str, Any], errors: list[dict[str, str]], status: int = 200) -> Response:
    help_ = emergency_help(request)
    chosen = any(r in help_["emergency_risks"] for r in answers.get("risks") or [])
    return render(request, "check.html", status, pages=questions.PAGES, answers=answers, errors=errors,
                  emergency_chosen=chosen, **help_)


@router.get("/referrals", response_class=HTMLResponse)
async def my_referrals(request: Request, user: Referrer) -> Response:
    api = client(request, user)
    items = await api.read(list[ReferralSummary], "intake", "GET", "/referrals")
    asked = await api.read(list[AdviceItem], "intake", "GET", "/advice")  # the referrer's own questions, every state
    return render(request, "referrals.html", referrals=items, questions=asked, has_draft=bool(draft(request, user)))


@router.get("/referrals/new", response_class=HTMLResponse)
async def new_referral(request: Request, user: Referrer) -> Response:
    return RedirectResponse(f"/referrals/new/{questions.PAGES[0].slug}", status_code=303)


@router.get("/referrals/new/check", response_class=HTMLResponse)
async def check_answers(request: Request, user: Referrer) -> Response:
    return check_page(request, draft(request, user, "portal.draft.check"), [])


@router.post("/referrals/new/check", response_class=HTMLResponse)
async def submit(request: Request, user: Referrer) -> Response:
    answers = draft(request, user, "portal.draft.submit")
    body = questions.to_referral(answers) | {"client_reference": f"portal-{draft_id(request, user)}"}

    def sent(created: dict[str, Any]) -> Response:
        with session_scope(request.app.state.engine) as session:
            drafts.discard(session, user.key)
        return RedirectResponse(f"/referrals/{created['referral_id']}/confirmation", status_code=303)

    async def again(exc: BackendError) -> Response:
        errors = errors_from(exc, name=lambda field: field.split(".")[-1], href=question_href)
        return check_page(request, answers, errors, 422)

    call = client(request, user).read(Submitted, "intake", "POST", "/referrals", json=body)
    return await call_or_show_again(call, done=sent, again=again, refusals=(422,))


@router.get("/referrals/new/{slug}", response_class=HTMLResponse)
async def question(request: Request, slug: str, user: Referrer) -> Response:
    page = questions.page(slug)
    if page is None:
        return not_found(request)
    return render(request, "question.html", page=page, answers=draft(request, user, "portal.draft.read"), errors={},
                  **emergency_help(request))


@router.post("/referrals/new/{slug}", response_class=HTMLResponse)
async def answer(request: Request, slug: str, user: Referrer) -> Response:
    page = questions.page(slug)
    if page is None:
        return not_found(request)
    answers = questions.read(page, await form_data(request))
    errors = questions.required_missing(page, answers)
    with session_scope(request.app.state.engine) as session:  # saved as they go: a timeout never loses work
        merged = drafts.save(session, user.key, answers)
        audit_draft(session, request, user, "portal.draft.save")
    if errors:
        return render(request, "question.html", 422, page=page, answers=merged, errors=errors,
                      **emergency_help(request))
    return RedirectResponse(f"/referrals/new/{questions.next_page(slug)}", status_code=303)


@router.get("/referrals/{referral_id}/confirmation", response_class=HTMLResponse)
async def confirmation(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
    try:  # the referral was sent: its confirmation shows even when intake cannot say yet what it is
        view = await client(request, user).read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
    except BackendError:
        view = None
    return render(request, "confirmation.html", referral_id=str(referral_id), **emergency_referral(request, view))


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
async def referral(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
    try:
        view = await client(request, user).read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
    except BackendError as exc:
        if exc.status == 404:
            return not_found(request, "Referral not found", "There is no referral of yours with this reference.")
        raise
    return render(request, "referral.html", referral=view, **emergency_referral(request, view))


@router.get("/referrals/{referral_id}/complete", response_class=HTMLResponse)
async def complete_page(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
    view = await client(request, user).read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
    return render(request, "complete.html", referral=view, errors=[])


@router.post("/referrals/{referral_id}/complete", response_class=HTMLResponse)
async def complete(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
    form = await form_data(request)
    patch: dict[str, Any] = {"consent": {}}
    if form.get("consent-basis", [""])[0]:
        patch["consent"]["basis"] = form["consent-basis"][0]
    if form.get("consent-child_aware", [""])[0]:
        patch["consent"]["child_aware"] = form["consent-child_aware"][0] == "yes"
    api = client(request, user)

    async def again(exc: BackendError) -> Response:
        view = await api.read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
        errors = errors_from(exc, name=None, href="#consent-basis", otherwise="#consent-basis")
        return render(request, "complete.html", 422, referral=view, errors=errors)

    call = api.call("intake", "PATCH", f"/referrals/{referral_id}", json=patch)
    return await call_or_show_again(call, done=f"/referrals/{referral_id}", again=again)
