"""Adding a person to the Dynamic Support Register directly, for any age (the DSR panel and the new
`dsr_referrer` role): the form, checking the answers, the confirmation; and a dsr_referrer's "People I have
added" with each of their entries. The DSR API is the one validator: its 422 shows the form again, every
problem linked to its field. The draft lives in the portal's draft store, never in an address."""

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.enums import DsrRisk
from schemas.labels import day, label
from schemas.views.dsr import Addition, EntryView, ListedEntry
from services.portal import dates, stash
from services.portal.backend import BackendError
from services.portal.deps import DsrAdder, DsrReferrer, client, form_data, not_found, render
from services.portal.pages import found

router = APIRouter()
FORM = "dsr-add"
TEXT = ("nhs_number", "given_name", "family_name", "consent_given_by", "referring_agency", "referrer_contact",
        "reason")
RADIOS = ("diagnosis", "has_ehcp", "consent", "current_setting")
DIAGNOSES = {"autism": ["autism"], "learning_disability": ["learning_disability"],
             "both": ["autism", "learning_disability"], "awaiting": ["autism_awaiting_assessment"]}
DIAGNOSIS_WORDS = {"autism": "Autism", "learning_disability": "Learning disability",
                   "both": "Autism and a learning disability", "awaiting": "Waiting for an autism assessment"}
CONSENT = {"given": "Given", "needed": "Needed (not asked yet)", "best_interests": "A best interests decision recorded"}
SETTING = {"community": "In the community", "inpatient": "In hospital (inpatient)"}
# Where each field of the API's body is asked on the form (the first input of its group).
FIELD_ID = {"diagnoses": "diagnosis", "date_of_birth": "date_of_birth"}


def read(form: dict[str, list[str]]) -> dict[str, Any]:
    """The form's answers as the draft keeps them (the date's three parts as typed)."""
    answers: dict[str, Any] = {k: form.get(k, [""])[0].strip() for k in TEXT + RADIOS}
    answers["risks"] = [v for v in form.get("risks", []) if v]
    answers["dob"] = [form.get(f"dob-{p}", [""])[0].strip() for p in dates.PARTS]
    return answers


def date_of_birth(parts: list[str]) -> str | None:
    """The draft's date of birth (its day, month and year as typed) as the API's date (services.portal.dates)."""
    day, month, year = (parts + ["", "", ""])[:3]
    return dates.sent(day, month, year)


def to_entry(answers: dict[str, Any]) -> dict[str, Any]:
    """The draft as the body of POST /dsr/entries: blank optional answers left out, the API judges the rest."""
    body: dict[str, Any] = {k: answers[k] for k in TEXT if answers.get(k)}
    body["nhs_number"] = "".join(answers.get("nhs_number", "").split()) or None
    body["date_of_birth"] = date_of_birth(answers.get("dob", []))
    body["diagnoses"] = DIAGNOSES.get(answers.get("diagnosis", ""), [])
    body["risks"] = list(answers.get("risks", []))
    body["has_ehcp"] = answers.get("has_ehcp") == "yes"
    for key in ("consent", "current_setting"):
        if answers.get(key):
            body[key] = answers[key]
    return body


def field_id(field: str) -> str:
    root = field.split(".")[0]
    return FIELD_ID.get(root, root)


def summary(answers: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The check-answers rows: (question, answer, the field's id on the form)."""
    dob = date_of_birth(answers.get("dob", []))
    ehcp = {"yes": "Yes", "no": "No"}.get(answers.get("has_ehcp", ""), "Not given")
    return [
        ("NHS number", answers.get("nhs_number") or "Not given", "nhs_number"),
        ("Name", f"{answers.get('given_name', '')} {answers.get('family_name', '')}".strip() or "Not given",
         "given_name"),
        ("Date of birth", label_day(dob), "date_of_birth"),
        ("Diagnoses", DIAGNOSIS_WORDS.get(answers.get("diagnosis", ""), "Not given"), "diagnosis"),
        ("Risks", ", ".join(label(r) for r in answers.get("risks", [])) or "None chosen", "risks"),
        ("Education, health and care plan", ehcp, "has_ehcp"),
        ("Consent", CONSENT.get(answers.get("consent", ""), "Not given"), "consent"),
        ("Consent given by", answers.get("consent_given_by") or "Not given", "consent_given_by"),
        ("Referring agency", answers.get("referring_agency") or "Not given", "referring_agency"),
        ("Your contact details", answers.get("referrer_contact") or "Not given", "referrer_contact"),
        ("Why they need to be on the register", answers.get("reason") or "Not given", "reason"),
        ("Where they are now", SETTING.get(answers.get("current_setting", ""), "Not given"), "current_setting"),
    ]


def label_day(iso: str | None) -> str:
    return day(iso) if iso else "Not given"


def show_form(request: Request, answers: dict[str, Any], errors: list[dict[str, str]], status: int = 200,
              at: dict[str, str] | None = None) -> Response:
    return render(request, "dsr_add.html", status, answers=answers, errors=errors, at=at or {},
                  risks=[(r.value, label(r.value)) for r in DsrRisk], diagnoses=DIAGNOSIS_WORDS, consent=CONSENT,
                  setting=SETTING)


@router.get("/dsr/add", response_class=HTMLResponse)
async def add_form(request: Request, user: DsrAdder) -> Response:
    answers, _ = stash.load(request, user, FORM, "portal.dsr_draft.read")
    return show_form(request, answers, [])


@router.post("/dsr/add", response_class=HTMLResponse)
async def add_save(request: Request, user: DsrAdder) -> Response:
    """Saved as typed, then checked by the register itself (`POST /dsr/additions/check`: the model and words of adding
    someone): the form again with every problem before "check your answers", not after it."""
    answers = read(await form_data(request))
    stash.save(request, user, FORM, answers, "portal.dsr_draft.save")
    try:
        await client(request, user).call("dsr", "POST", "/dsr/additions/check", json=to_entry(answers))
    except BackendError as exc:
        if exc.status != 422:
            raise
        errors, at = stash.problems(exc, "dsr_add", field_id, otherwise="#nhs_number")
        return show_form(request, answers, errors, 422, at)
    return RedirectResponse("/dsr/add/check", status_code=303)


@router.get("/dsr/add/check", response_class=HTMLResponse)
async def add_check(request: Request, user: DsrAdder) -> Response:
    answers, _ = stash.load(request, user, FORM, "portal.dsr_draft.check")
    if not answers:
        return RedirectResponse("/dsr/add", status_code=303)
    return render(request, "dsr_add_check.html", rows=summary(answers), errors=[])


@router.post("/dsr/add/check", response_class=HTMLResponse)
async def add_submit(request: Request, user: DsrAdder) -> Response:
    def call(answers: dict[str, Any]) -> Any:
        return client(request, user).read(Addition, "dsr", "POST", "/dsr/entries", json=to_entry(answers))

    def added(answer: dict[str, Any]) -> str:
        """The confirmation, told the outcome (an entry's id only when it is the caller's to see: nothing personal)."""
        shown = {"outcome": answer.get("outcome", "created"), "track": answer.get("review_track", ""),
                 "status": answer.get("status", "")}
        if shown["outcome"] == "created" or user.acts_as("dsr_panel"):
            shown["entry"] = answer.get("entry_id", "")
        return "/dsr/add/done?" + urlencode({k: v for k, v in shown.items() if v})

    def again(answers: dict[str, Any], exc: BackendError) -> Response:
        errors, at = stash.problems(exc, "dsr_add", field_id, otherwise="#nhs_number")
        return show_form(request, answers, errors, 422, at)

    return await stash.send(request, user, FORM, "portal.dsr_draft.submit", start="/dsr/add", call=call, done=added,
                            again=again)


@router.get("/dsr/add/done", response_class=HTMLResponse)
async def add_done(request: Request, user: DsrAdder) -> Response:
    q = request.query_params
    entry = q.get("entry", "")
    href = (f"/dsr/{entry}" if user.acts_as("dsr_panel") else f"/dsr/entries/{entry}") if entry else None
    return render(request, "dsr_add_done.html", outcome=q.get("outcome", "created"), track=q.get("track", ""),
                  entry_status=q.get("status", ""), href=href)


@router.get("/dsr/entries", response_class=HTMLResponse)
async def people_added(request: Request, user: DsrReferrer) -> Response:
    entries = await client(request, user).read(list[ListedEntry], "dsr", "GET", "/dsr/entries")
    return render(request, "dsr_added.html", entries=entries)


@router.get("/dsr/entries/{entry_id}", response_class=HTMLResponse)
async def person_added(request: Request, entry_id: uuid.UUID, user: DsrReferrer) -> Response:
    entry = await found(client(request, user).read(EntryView, "dsr", "GET", f"/dsr/entries/{entry_id}"))
    if entry is None:
        return not_found(request, "Entry not found", "There is no entry you added with this reference.")
    return render(request, "dsr_added_entry.html", entry=entry, diagnoses=DIAGNOSIS_WORDS, setting=SETTING)
