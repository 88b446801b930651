"""Adding a person to the register directly, any age (roles `dsr_panel` and `dsr_referrer`), and the list of
entries: the panel's open ones, or a dsr_referrer's own. HTTP only: the form, then direct.add_direct."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from schemas.enums import DsrRisk, DsrSource
from schemas.identifiers import NhsNumber
from schemas.names import PersonName
from schemas.referral import LONDON, TolerantInput, Unique, age_on, no_duplicates
from schemas.scalars import Day
from schemas.views import shown
from schemas.views.dsr import Addition, ListedEntry
from services.common import answers
from services.common.auth import Principal, require
from services.common.http import TypedText
from services.common.transactions import AuditedRoute, Subject, children_of, in_transaction
from services.dsr import direct, rules, views
from services.dsr.direct import DirectIn, DirectResult
from services.dsr.routes import Now
from services.dsr.tables import DsrEntry

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Adder = Annotated[Principal, Depends(require("dsr_panel", "dsr_referrer"))]
Text = Annotated[str, TypedText(1, 200)]
DiagnosisCode = Literal["autism", "learning_disability", "autism_awaiting_assessment"]
OK = {"description": "The person was already on the register: the addition is a note on their open entry. Only "
                     "the panel and the practitioner who added the entry are told about it; anyone else gets "
                     "`{\"outcome\": \"noted\"}` alone"}
CREATED = {"description": "A new register entry: pending consent, or pending its first review"}


class DirectForm(TolerantInput):
    """A person added to the register directly. Every problem is listed at once, those spanning fields too."""

    nhs_number: NhsNumber | None = Field(None, description="Required for a person aged 18 or over")
    given_name: PersonName
    family_name: PersonName
    date_of_birth: Day = Field(description="Not in the future; an age of at most 120")
    diagnoses: Annotated[list[DiagnosisCode], AfterValidator(no_duplicates), Unique] = Field(
        min_length=1, description="Autism, learning disability, both (the two), or awaiting an autism assessment")
    risks: Annotated[list[DsrRisk], AfterValidator(no_duplicates), Unique] = Field(min_length=1)
    has_ehcp: bool = False
    consent: Literal["given", "needed", "best_interests"]
    consent_given_by: Text | None = Field(None, description="Who gave consent or made the best-interests decision "
                                                            "(required unless consent is still needed)")
    referring_agency: Text = Field(description="e.g. Adult social care, Community mental health team")
    referrer_contact: Text = Field(description="The practitioner's phone number or email")
    reason: Annotated[str, TypedText(10, 4000)]
    current_setting: Literal["community", "inpatient"] = Field(
        description="Inpatient (a mental health hospital) suggests the blue rating")

    @field_validator("date_of_birth")
    @classmethod
    def _born_plausibly(cls, born: date) -> date:
        today = datetime.now(LONDON).date()
        if born > today:
            raise ValueError("must not be in the future")
        if age_on(born, today) > rules.MAX_AGE:
            raise ValueError(f"must give an age of at most {rules.MAX_AGE}")
        return born

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        spanning = _spanning(data) if isinstance(data, dict) else []
        try:
            form = handler(data)
        except ValidationError as exc:
            if not spanning:
                raise
            raise ValidationError.from_exception_data(cls.__name__, [*_again(exc), *spanning]) from None
        if spanning:
            raise ValidationError.from_exception_data(cls.__name__, spanning)
        return form

    def addition(self) -> DirectIn:
        return DirectIn(
            nhs_number=self.nhs_number, given_name=self.given_name, family_name=self.family_name,
            date_of_birth=self.date_of_birth, diagnoses=tuple(self.diagnoses), risks=tuple(r.value for r in self.risks),
            has_ehcp=self.has_ehcp, consent=self.consent, consent_given_by=self.consent_given_by,
            referring_agency=self.referring_agency, referrer_contact=self.referrer_contact, reason=self.reason,
            current_setting=self.current_setting,
        )


def _spanning(data: dict[str, Any]) -> list[InitErrorDetails]:
    """rules.addition_problems on the body as sent (a value that is not valid on its own is its own problem)."""
    try:
        born: date | None = date.fromisoformat(str(data.get("date_of_birth")).strip())
    except ValueError:
        born = None
    given_by = data.get("consent_given_by")
    found = rules.addition_problems(
        born=born, has_nhs_number=bool(str(data.get("nhs_number") or "").strip()), consent=data.get("consent"),
        consent_given_by=given_by if isinstance(given_by, str) else None, today=datetime.now(LONDON).date())
    return [{"type": PydanticCustomError("missing", problem), "loc": (field,), "input": None}
            for field, problem in found]


def _again(exc: ValidationError) -> list[InitErrorDetails]:
    """The field problems as they were, to be raised with the spanning ones."""
    return [{"type": PydanticCustomError(e["type"], e["msg"].replace("{", "(").replace("}", ")")),
             "loc": e["loc"], "input": None} for e in exc.errors(include_url=False)]


def answer(result: DirectResult, by: Principal, today: date) -> dict[str, Any]:
    """The new entry's state (answered 201), or a note's (200). Only the panel and the practitioner who added the entry
    are told about it (its id, age band, track, status and suggested rating); anyone else noting on it learns
    only that the person is already on the register (`outcome`), since even the age band and track would say
    that, for example, someone is 18-25 with an EHCP (issue 20, item 8)."""
    entry = result.entry
    body: dict[str, Any] = {"outcome": "created" if result.created else "noted"}
    if result.created or by.has("dsr_panel") or entry.added_by == by.subject:
        body |= {
            "entry_id": str(entry.id), "age_band": rules.age_band(entry.date_of_birth, today),
            "review_track": rules.review_track(entry.date_of_birth, entry.has_ehcp, today).value
            if entry.date_of_birth else None,
            "status": entry.status, "suggested_rating": entry.suggested_rating,
            "escalation_suggested": entry.escalation_suggested,
        }
    return shown(Addition, body)


@router.post("/dsr/entries", status_code=201, response_model=Addition, response_model_exclude_unset=True,
             responses={200: OK | {"model": Addition}, 201: CREATED, **answers.of(413, 422)})
async def post_entry(request: Request, form: DirectForm, by: Adder, now: Now, response: Response) -> dict[str, Any]:
    addition = form.addition()
    suggested = direct.suggested_rating(request.app.state.ruleset, addition, now.today)

    def add(s: Any) -> DirectResult:
        return direct.add_direct(s, addition, by=by.subject, suggested=suggested, clock=now)

    result = await in_transaction(request, add, by=by, action="dsr.add",
                                  about=lambda r: Subject(record_id=r.entry.id, child_id=r.entry.child_id))
    response.status_code = 201 if result.created else 200
    return answer(result, by, now.today)


@router.post("/dsr/additions/check", status_code=204, response_class=Response,
             responses={204: {"description": "The addition has no problems (nothing was added)"},
                        **answers.of(413, 422)})
async def check_entry(form: DirectForm, by: Adder) -> Response:
    """An addition checked without adding anyone: every problem at once (422), as `POST /dsr/entries` would answer.
    The portal's form asks it on "Continue", so an empty or wrong form says so before "check your answers"."""
    return Response(status_code=204)


@router.get("/dsr/entries", response_model=list[ListedEntry], responses=answers.of(422))
async def get_entries(request: Request, by: Adder, now: Now,
                      source: DsrSource | None = None) -> list[dict[str, Any]]:
    """The panel: every open entry (`source=` for one kind). A dsr_referrer: every entry they added, any status."""
    added_by = None if by.has("dsr_panel") else by.subject
    return await in_transaction(
        request, lambda s: views.entries(s, now, added_by=added_by, source=source.value if source else None),
        by=by, action="dsr.entries", about=children_of(DsrEntry, "entry_id"))
