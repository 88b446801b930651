"""Advice without a formal referral. A referrer asks (the form, checking the answers with a warning when the
question seems to identify a child, the confirmation with the answer-by date), reads the answer and can make a
referral from it; the front door (every request) and a service's workers (their service's list) answer.
The intake API is the one validator and decides who may see or answer each request (404 for anyone else)."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.advice import identifying_details
from schemas.enums import Concern, Service
from schemas.labels import label
from schemas.views.advice import AdviceItem, Asked
from services.common.db import session_scope
from services.portal import drafts, questions, stash
from services.portal.backend import BackendError
from services.portal.deps import (
    AdviceReader,
    Answerer,
    FrontDoor,
    Referrer,
    Worker,
    client,
    form_data,
    not_found,
    render,
)
from services.portal.pages import call_or_show_again, errors_from, found

router = APIRouter()
FORM = "advice"
STATES = ("unanswered", "answered", "all")
NEXT_STEPS = {"make_referral": "Make a referral", "try_strategies": "Try these strategies for six weeks",
              "no_referral_needed": "No referral needed"}
YEAR_GROUPS = questions.YEAR_GROUPS  # the referral form's list
FIELD_ID = {"education_setting": "school", "next_step": "next_step", "refer_to": "refer_to"}


def read(form: dict[str, list[str]]) -> dict[str, Any]:
    answers = {k: form.get(k, [""])[0].strip() for k in ("question", "year_group", "age", "school")}
    return answers | {"concerns": [v for v in form.get("concerns", []) if v]}


def to_advice(answers: dict[str, Any]) -> dict[str, Any]:
    """The draft as the body of POST /advice (numbers as typed: the API reads "5" as 5 and names anything else)."""
    body: dict[str, Any] = {"question": answers.get("question", ""), "concerns": list(answers.get("concerns", [])),
                            "age": answers.get("age") or None}
    if answers.get("year_group"):
        body["year_group"] = answers["year_group"]
    if answers.get("school"):
        body["education_setting"] = {"name": answers["school"]}
    return body


def field_id(field: str) -> str:
    root = field.split(".")[0]
    return FIELD_ID.get(root, root)


def year_group_words(value: object) -> str:
    return dict(YEAR_GROUPS).get(str(value), "Not given") if value not in (None, "") else "Not given"


def show_form(request: Request, answers: dict[str, Any], errors: list[dict[str, str]], status: int = 200,
              at: dict[str, str] | None = None) -> Response:
    return render(request, "advice_new.html", status, answers=answers, errors=errors, at=at or {},
                  concerns=[(c.value, label(c.value)) for c in Concern], year_groups=YEAR_GROUPS)


@router.get("/advice/new", response_class=HTMLResponse)
async def ask(request: Request, user: Referrer) -> Response:
    return show_form(request, stash.load(request, user, FORM, "portal.advice_draft.read")[0], [])


@router.post("/advice/new", response_class=HTMLResponse)
async def ask_save(request: Request, user: Referrer) -> Response:
    return stash.keep(request, user, FORM, read(await form_data(request)), "portal.advice_draft.save",
                      "/advice/new/check")


@router.get("/advice/new/check", response_class=HTMLResponse)
async def ask_check(request: Request, user: Referrer) -> Response:
    answers, _ = stash.load(request, user, FORM, "portal.advice_draft.check")
    if not answers:
        return RedirectResponse("/advice/new", status_code=303)
    return render(request, "advice_check.html", answers=answers, warnings=identifying_details(answers["question"]),
                  year_group=year_group_words(answers.get("year_group")), errors=[])


@router.post("/advice/new/check", response_class=HTMLResponse)
async def ask_send(request: Request, user: Referrer) -> Response:
    def call(answers: dict[str, Any]) -> Any:
        return client(request, user).read(Asked, "intake", "POST", "/advice", json=to_advice(answers))

    def again(answers: dict[str, Any], exc: BackendError) -> Response:
        errors, at = stash.problems(exc, "advice", field_id, otherwise="#question")
        return show_form(request, answers, errors, 422, at)

    return await stash.send(request, user, FORM, "portal.advice_draft.submit", start="/advice/new", call=call,
                            done=lambda created: f"/advice/{created['advice_id']}/sent", again=again)


async def one(request: Request, user: Any, advice_id: uuid.UUID) -> dict[str, Any] | None:
    item: dict[str, Any] | None = await found(client(request, user).read(AdviceItem, "intake", "GET",
                                                                      f"/advice/{advice_id}"))
    return item


def missing(request: Request) -> Response:
    return not_found(request, "Advice request not found", "There is no advice request you can see with this reference.")


@router.get("/advice/{advice_id}/sent", response_class=HTMLResponse)
async def ask_sent(request: Request, advice_id: uuid.UUID, user: Referrer) -> Response:
    item = await one(request, user, advice_id)
    return render(request, "advice_sent.html", item=item) if item else missing(request)


@router.get("/advice", response_class=HTMLResponse)
async def front_door_list(request: Request, user: FrontDoor) -> Response:
    return await advice_list(request, user, None)


@router.get("/work/{service}/advice", response_class=HTMLResponse)
async def service_list(request: Request, service: Service, user: Worker) -> Response:
    return await advice_list(request, user, service.value)


async def advice_list(request: Request, user: Any, service: str | None) -> Response:
    state = request.query_params.get("state", "unanswered")
    state = state if state in STATES else "unanswered"
    items = await client(request, user).read(list[AdviceItem], "intake", "GET", "/advice", params={"state": state})
    return render(request, "advice_list.html", items=items, state=state, service=service,
                  here=f"/work/{service}/advice" if service else "/advice")


@router.get("/advice/{advice_id}", response_class=HTMLResponse)
async def advice_page(request: Request, advice_id: uuid.UUID, user: AdviceReader) -> Response:
    item = await one(request, user, advice_id)
    if item is None:
        return missing(request)
    return show_item(request, user, item, [], {}, done=request.query_params.get("done"))


def show_item(request: Request, user: Any, item: dict[str, Any], errors: list[dict[str, str]], form: dict[str, str],
              status: int = 200, done: str | None = None) -> Response:
    template = "advice_item.html" if user.role == "referrer" else "advice_answer.html"
    unfinished = user.role == "referrer" and unfinished_other_draft(request, user, str(item["advice_id"]))
    answerer = item.get("answerer")  # in words, from intake: a name and team, or the team for the referrer
    return render(request, template, status, item=item, errors=errors, form=form, done=done, next_steps=NEXT_STEPS,
                  year_group=year_group_words(item.get("year_group")), services=[s.value for s in Service],
                  answerer=answerer, unfinished=unfinished,
                  at={field_id(e["href"].lstrip("#")): e["text"] for e in errors})


@router.post("/advice/{advice_id}/answer", response_class=HTMLResponse)
async def answer(request: Request, advice_id: uuid.UUID, user: Answerer) -> Response:
    form = {k: v[0].strip() for k, v in (await form_data(request)).items() if v}
    step = form.get("next_step") or None
    body = {"answer": form.get("answer", ""), "next_step": step,
            "refer_to": (form.get("refer_to") or None) if step == "make_referral" else None}
    api = client(request, user)

    async def again(exc: BackendError) -> Response:
        item = await one(request, user, advice_id)
        if item is None:
            return missing(request)
        errors = errors_from(exc, form="advice_answer", href=lambda f: f"#{field_id(f)}", otherwise="#answer")
        return show_item(request, user, item, errors, form, 409 if exc.status == 409 else 422)

    try:
        return await call_or_show_again(api.call("intake", "POST", f"/advice/{advice_id}/answer", json=body),
                                        done=f"/advice/{advice_id}?done=answer", again=again)
    except BackendError as exc:
        if exc.status == 404:
            return missing(request)
        raise


@router.post("/advice/{advice_id}/refer", response_class=HTMLResponse)
async def refer_from(request: Request, advice_id: uuid.UUID, user: Referrer) -> Response:
    """A new referral draft with the advice's concerns, year group and school, keeping the advice's id (sent as
    `advice_request_id`), then the referral form's first page."""
    item = await one(request, user, advice_id)
    if item is None:
        return missing(request)
    first_page = RedirectResponse(f"/referrals/new/{questions.PAGES[0].slug}", status_code=303)
    with session_scope(request.app.state.engine) as session:
        if drafts.load(session, user.key).get("advice_request_id") == str(advice_id):
            return first_page  # a referral from this advice is already under way: go on with it
    answers: dict[str, Any] = {"concerns": list(item.get("concerns") or []), "advice_request_id": str(advice_id)}
    if item.get("year_group") is not None:
        answers["child.education_setting.year_group"] = str(item["year_group"])
    if item.get("school"):
        answers["child.education_setting.name"] = item["school"]
    with session_scope(request.app.state.engine) as session:
        drafts.discard(session, user.key)
        session.flush()
        drafts.save(session, user.key, answers)
    return first_page


def unfinished_other_draft(request: Request, user: Any, advice_id: str) -> bool:
    """The referrer has an unfinished referral that did not start from this advice (making one from this advice
    replaces it, so the page says so first)."""
    with session_scope(request.app.state.engine) as session:
        answers = drafts.load(session, user.key)
    return bool(answers) and answers.get("advice_request_id") != advice_id
