"""A referrer's pages: their referrals, the referral form (saved as they go), checking answers and
sending, the confirmation, and completing a referral that needs information."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas import messages
from schemas.labels import LONDON
from schemas.views.advice import AdviceItem
from schemas.views.referrals import ReferralSummary, ReferralView, Submitted
from services.common.auth import Principal
from services.common.db import session_scope
from services.common.transactions import Subject, audit, client_of
from services.portal import dates, drafts, emergency, questions
from services.portal.backend import BackendError
from services.portal.deps import Referrer, client, form_data, not_found, render
from services.portal.pages import call_or_show_again, errors_from
from services.portal.users import User

router = APIRouter()
SENT = "referral_sent"  # the session's record of the referral this person has just sent


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
    """Where the question asking a referral field is, to change it and come back to check answers (a field no page
    asks has nowhere to link)."""
    asked = next((p for p in questions.PAGES for f in p.fields if field == f or field.startswith(f + ".")), None)
    return f"/referrals/new/{asked.slug}?change=1#{questions.html_id(field)}" if asked else "#"


def today() -> date:
    """The day in London: a referral's dates are checked as on the day it would be sent (as intake does)."""
    return datetime.now(LONDON).date()


def draft_problems(answers: dict[str, Any]) -> list[dict[str, str]]:
    """The draft's problems, page by page, as an error summary linking to each answer to change."""
    return [{"text": text, "href": f"/referrals/new/{page.slug}?change=1{found.href(path)}"}
            for page, found in questions.whole_draft(answers, today()) for path, text in found.errors.items()]


def sent_before(request: Request) -> Response:
    """Where check answers goes with no draft: the confirmation of the referral this person has just sent (Back
    after sending), else the form's first page. An empty draft is never offered for sending."""
    sent = request.session.get(SENT)
    if sent:
        return RedirectResponse(f"/referrals/{sent}/confirmation?again=1", status_code=303)
    return RedirectResponse(f"/referrals/new/{questions.PAGES[0].slug}", status_code=303)


def with_defaults(page: questions.Page, answers: dict[str, Any], user: User) -> dict[str, Any]:
    """The page's answers; on "About you" not yet saved, the signed-in person's details where the draft has none."""
    if page.slug != "referrer" or page.slug in answers.get(questions.SAVED, []):
        return answers
    known = {"referrer.name": user.name, "referrer.role": user.job_role, "referrer.organisation": user.organisation,
             "referrer.email": user.email}
    return {path: value for path, value in known.items() if value} | answers


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
                  emergency_chosen=chosen, answered_none=questions.answered_none, dates=dates, tidy=questions.tidy,
                  year_groups=dict(questions.YEAR_GROUPS), **help_)


def show_question(request: Request, page: questions.Page, answers: dict[str, Any], found: questions.Problems,
                  status: int = 200) -> Response:
    change = request.query_params.get("change") == "1"
    back = "/referrals/new/check" if change else (
        f"/referrals/new/{previous}" if (previous := questions.previous_page(page.slug)) else "/referrals")
    return render(request, "question.html", status, page=page, answers=answers, errors=found.errors,
                  problems=found, back=back, dates=dates, concern_groups=questions.CONCERN_GROUPS,
                  people=questions.shown_people(answers, request.query_params.get("more") == "1"),
                  none_value=questions.NONE_OF_THESE, **emergency_help(request))


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
    answers = draft(request, user, "portal.draft.check")
    if not answers:
        return sent_before(request)
    return check_page(request, answers, draft_problems(answers))


@router.post("/referrals/new/check", response_class=HTMLResponse)
async def submit(request: Request, user: Referrer) -> Response:
    answers = draft(request, user, "portal.draft.submit")
    if not answers:  # sent already (Back, then "Accept and send" again): nothing is sent twice
        return sent_before(request)
    body = questions.to_referral(answers) | {"client_reference": f"portal-{draft_id(request, user)}"}

    def sent(created: dict[str, Any]) -> Response:
        with session_scope(request.app.state.engine) as session:
            drafts.discard(session, user.key)
        request.session[SENT] = created["referral_id"]
        return RedirectResponse(f"/referrals/{created['referral_id']}/confirmation", status_code=303)

    async def again(exc: BackendError) -> Response:
        errors = draft_problems(answers) or errors_from(exc, form=messages.REFERRAL, href=question_href, otherwise="#")
        return check_page(request, answers, errors, 422)

    call = client(request, user).read(Submitted, "intake", "POST", "/referrals", json=body)
    return await call_or_show_again(call, done=sent, again=again, refusals=(422,))


@router.get("/referrals/new/{slug}", response_class=HTMLResponse)
async def question(request: Request, slug: str, user: Referrer) -> Response:
    page = questions.page(slug)
    if page is None:
        return not_found(request)
    answers = draft(request, user, "portal.draft.read")
    # A page saved before, or opened to change an answer from check answers, shows its problems straight away.
    checked = slug in answers.get(questions.SAVED, []) or request.query_params.get("change") == "1"
    found = questions.problems(page, answers, today()) if checked and answers else questions.Problems({}, {})
    return show_question(request, page, with_defaults(page, answers, user), found)


@router.post("/referrals/new/{slug}", response_class=HTMLResponse)
async def answer(request: Request, slug: str, user: Referrer) -> Response:
    page = questions.page(slug)
    if page is None:
        return not_found(request)
    form = await form_data(request)
    answers = questions.read(page, form)
    with session_scope(request.app.state.engine) as session:  # saved as they go: a timeout never loses work
        saved = drafts.load(session, user.key).get(questions.SAVED, [])
        merged = drafts.save(session, user.key, answers | {questions.SAVED: sorted({*saved, slug})})
        audit_draft(session, request, user, "portal.draft.save")
    found = questions.problems(page, merged, today())
    if found.errors:
        return show_question(request, page, merged, found, 422)
    change = request.query_params.get("change") == "1"
    if form.get("add") and page.slug == "contacts":  # "Add another": the same page with one more fieldset
        return RedirectResponse(f"/referrals/new/{slug}?more=1{'&change=1' if change else ''}", status_code=303)
    return RedirectResponse("/referrals/new/check" if change else f"/referrals/new/{questions.next_page(slug)}",
                            status_code=303)


@router.get("/referrals/{referral_id}/confirmation", response_class=HTMLResponse)
async def confirmation(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
    try:  # the referral was sent: its confirmation shows even when intake cannot say yet what it is
        view = await client(request, user).read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
    except BackendError:
        view = None
    return render(request, "confirmation.html", referral_id=str(referral_id),
                  again=request.query_params.get("again") == "1", **emergency_referral(request, view))


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
    if not patch["consent"]:  # nothing given: refused here, never recorded as "missing information supplied"
        view = await api.read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
        return render(request, "complete.html", 422, referral=view, errors=unanswered(view))

    async def again(exc: BackendError) -> Response:
        view = await api.read(ReferralView, "intake", "GET", f"/referrals/{referral_id}")
        errors = errors_from(exc, form=messages.REFERRAL, href=lambda field: COMPLETE_HREF.get(field, "#consent-basis"),
                             otherwise="#consent-basis")
        return render(request, "complete.html", 422, referral=view, errors=errors)

    call = api.call("intake", "PATCH", f"/referrals/{referral_id}", json=patch)
    return await call_or_show_again(call, done=f"/referrals/{referral_id}", again=again)


COMPLETE_HREF = {"consent": "#consent-basis", "consent.basis": "#consent-basis",
                 "consent.child_aware": "#consent-child_aware"}


def unanswered(view: dict[str, Any]) -> list[dict[str, str]]:
    """The errors of an empty "Give the missing information": each question the page asks, unanswered."""
    missing = set((view.get("decision") or {}).get("missing") or [])
    asked = (["consent.basis"] if missing & {"consent", "parental_consent"} else []) + (
        ["consent.child_aware"] if "child_agreement" in missing else [])
    return [{"text": messages.sentence(path, "missing"), "href": COMPLETE_HREF[path], "field": path}
            for path in asked or ["consent.basis"]]
