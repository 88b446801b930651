"""The one catalogue of error messages (schemas/messages.py, issue 22 item 2): every error a form's model can raise,
by field and pydantic type, has a sentence written for a person, never pydantic's text or a field code.

Each model a form posts is walked field by field (nested models and list items too): every field, present or not,
is given each value of a fixed list of bad ones (missing, empty, blank, too long, the wrong type, impossible and
future dates, malformed identifiers, hidden characters...), each choice its model allows (so a rule between fields
fires, such as "add_route needs ..."), and a list with its first item twice. Every (field, type) pydantic raises
must have a sentence in the catalogue. A new field without words, or a new error type or validator message
without a sentence, fails here."""

from __future__ import annotations

import re
import types
import typing
from copy import deepcopy
from datetime import date, datetime
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas import messages
from schemas.advice import AdviceInput
from schemas.referral import LONDON, ReferralInput
from services.dsr.direct_routes import DirectForm
from services.dsr.routes import CloseForm, ConsentForm, ReviewForm
from services.intake.advice.domain import AnswerForm
from services.intake.children.routes import DifferentBody, MergeBody
from services.intake.dead_letters.routes import DiscardForm, ReplayForm
from services.intake.front_door.domain import PersonsDecision
from services.intake.front_door.routes import ChaseForm, ContactForm
from services.worklists.routes import DeclineForm, HeldDecisionForm, NoteForm, RedirectForm

UUID = "8c1f1d0e-2f7b-4c83-9d8e-3a1c2b4d5e6f"
REASON = "A reason long enough for every form's limit, typed by a person."
REFERRAL = {
    "channel": "professional_portal",
    "child": {"given_name": "Ann", "family_name": "Smith", "date_of_birth": "2016-03-04", "postcode": "SS1 2AB",
              "education_setting": {"name": "Hill School", "year_group": 5}},
    "referrer": {"name": "Pat Jones", "role": "teacher"},
    "consent": {"basis": "parent_with_pr"},
    "reason": REASON, "concerns": ["anxiety"], "impact": "moderate", "duration": "1_to_6_months",
}

# Every model a form posts, with a valid body: (the catalogue's form, the model, the body, where the form is).
FORMS: list[tuple[str, type[BaseModel], dict[str, Any], str]] = [
    ("referral", ReferralInput, REFERRAL,
     "the referral's question pages and check answers (routes/referrer.py); intake POST /referrals, and PATCH "
     "/referrals/{id} (complete missing information: the referral after the patch)"),
    ("advice", AdviceInput, {"question": "Is this one for speech and language therapy?", "concerns": ["anxiety"],
                             "age": 7},
     "ask for advice (routes/advice.py, intake POST /advice)"),
    ("advice_answer", AnswerForm, {"answer": REASON, "next_step": "try_strategies"},
     "answer an advice request (routes/advice.py, intake POST /advice/{id}/answer)"),
    ("decline", DeclineForm, {"reason": REASON, "signpost": "The school nurse"},
     "decline a request (routes/worker.py, worklists POST .../decline)"),
    ("redirect", RedirectForm, {"redirect_to": "salt", "reason": REASON},
     "redirect a request (routes/worker.py, worklists POST .../redirect)"),
    ("note", NoteForm, {"reason": REASON}, "accept or complete a request (routes/worker.py, worklists)"),
    ("held", HeldDecisionForm, {"decision": "release"},
     "MASH releases or declines held requests (routes/worker.py, worklists POST .../held)"),
    ("dsr_add", DirectForm, {"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2012-01-02",
                             "diagnoses": ["autism"], "risks": ["mh_admission_risk"], "consent": "needed",
                             "referring_agency": "Adult social care", "referrer_contact": "01632 960 001",
                             "reason": REASON, "current_setting": "community"},
     "add a person to the register (routes/register.py, dsr POST /dsr/entries)"),
    ("dsr_review", ReviewForm, {"rating": "amber", "rationale": REASON,
                                "attendees": [{"name": "Chair", "agency": "ICB"}],
                                "actions": [{"what": "Call the family", "owner_agency": "ICB", "due": "2026-12-01"}]},
     "record a review (routes/dsr.py, dsr POST /dsr/entries/{id}/reviews)"),
    ("dsr_consent", ConsentForm, {"basis": "person", "given_by": "The person"},
     "record consent (routes/dsr.py, dsr POST /dsr/entries/{id}/consent)"),
    ("dsr_close", CloseForm, {"reason": "transferred"}, "close an entry (routes/dsr.py, dsr POST .../close)"),
    ("override", PersonsDecision, {"rationale": REASON, "changes": [{"kind": "close", "signpost": "The GP"}]},
     "the front door's decision or override (routes/front_door.py, intake POST /front-door/referrals/{id}/decision)"),
    ("emergency_contact", ContactForm, {"contacted": "Mother", "how": "phone",
                                        "contacted_at": "2026-01-02T10:00:00+00:00"},
     "record emergency contact (routes/front_door.py, intake POST .../emergency-contact)"),
    ("chase", ChaseForm, {"how": "phone"}, "record a chase (routes/front_door.py, intake POST .../chase)"),
    ("merge", MergeBody, {"survivor_id": UUID, "merged_id": UUID, "reason": REASON},
     "merge two children's records (routes/front_door.py, intake POST /front-door/duplicates/merge)"),
    ("different", DifferentBody, {"child_a": UUID, "child_b": UUID},
     "mark two records as different children (routes/front_door.py, intake POST /front-door/duplicates/different)"),
    ("replay", ReplayForm, {"topic": "frontdoor.referrals.submitted.dlq", "ids": ["0:1"]},
     "process dead letters again (routes/dead_letters.py, intake POST /front-door/dead-letters/replay)"),
    ("discard", DiscardForm, {"event_id": UUID, "reason": REASON},
     "discard a dead letter (routes/dead_letters.py, intake POST /front-door/dead-letters/discard)"),
]

BAD: list[Any] = [
    None, "", "   ", "x", "ab", "x" * 10_001, 0, -1000, 1000, 1.5, True, "maybe", [], [None], ["x"], [{}], {},
    "2017-02-31", "31/02/2017", "2999-01-01", "1990-01-01", "1800-01-01", "2026-01-02T10:00:00",
    "2999-01-02T10:00:00+00:00", "0001-01-01T00:00:00+01:00", "485 777 3457", "485777345", "ZZ1 1ZZ", "SS12",
    "A12345678901", "A12345678901Z", "name@", "phone?", "not-a-uuid", "8c1f1d0e2f7b4c839d8e3a1c2b4d5e6f",
    "\u202eAnn", "Ann\x00", "Ann\nSmith", "\u200b", "\ue000", "BAD CODE", "1:x",
]
CODE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|(?<![@\w.])[a-z_]+\.[a-z_]+\b")  # a field code or a dotted path
BANNED = ("Field required", "should have at least", "Input should be", "String should", "Value error", "List should")


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds (through Optional, list and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in models_in(arg)]


def choices(annotation: Any) -> list[Any]:
    """The values a field's Literal or Enum allows (through Optional, list and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [m.value for m in annotation]
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [c for arg in typing.get_args(annotation) for c in choices(arg)]


def is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated) and any(
        is_list(a) for a in typing.get_args(annotation))


def leaves(model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every field's path in `model` (a list of models: its first item's), with its annotation."""
    out = []
    for name, info in model.model_fields.items():
        here = (*prefix, name)
        out.append((here, info.annotation))
        for inner in models_in(info.annotation):
            out += leaves(inner, (*here, 0) if is_list(info.annotation) else here)
    return out


def put(body: dict[str, Any], where: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of `body` with `value` at `where` (missing parents made; `...` as the value removes it)."""
    out = deepcopy(body)
    target: Any = out
    for key, after in zip(where, where[1:], strict=False):
        if isinstance(target, list):
            while len(target) <= key:
                target.append({})
            target = target[key]
        else:
            target = target.setdefault(key, [] if isinstance(after, int) else {})
            if not isinstance(target, (dict, list)):
                return out
    if value is ...:
        target.pop(where[-1], None)
    else:
        target[where[-1]] = value
    return out


def get(body: Any, where: tuple[Any, ...]) -> Any:
    for key in where:
        try:
            body = body[key]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def tries(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The bodies to try: the empty one, one with a field it does not ask, and each field given each bad value."""
    out: list[dict[str, Any]] = [{}, body | {"not_a_field": "x"}]
    for where, annotation in leaves(model):
        now = get(body, where)
        values: list[Any] = [..., *BAD, *choices(annotation)]
        if isinstance(now, list) and now:
            values += [[now[0], now[0]], now * 600, [*now, *choices(annotation)]]
        out += [put(body, where, v) for v in values]
    return out


def raised(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        model.model_validate(body, context={"as_of": datetime.now(LONDON).date()})
    except ValidationError as exc:
        return [dict(e) for e in exc.errors(include_url=False, include_input=False)]
    return []


def errors_of(model: type[BaseModel], body: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each different error the model raises, by its field path (no indexes), type and message."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for tried in tries(model, body):
        for err in raised(model, tried):
            field = messages.field_of(err["loc"])
            found.setdefault((messages.path(field), err["type"], err["msg"]), err)
    return found


@pytest.mark.parametrize(("form", "model", "body", "where"), FORMS, ids=[f[0] for f in FORMS])
def test_every_error_a_forms_model_raises_has_a_sentence(form: str, model: type[BaseModel], body: dict[str, Any],
                                                         where: str) -> None:
    assert raised(model, body) == [], f"the valid {form} body is not valid: fix the test"
    found = errors_of(model, body)
    assert len(found) > len(model.model_fields)  # the walk reached the model's fields
    unsaid, badly = [], []
    for (field, type_, msg), err in sorted(found.items()):
        said = messages.catalogued(messages.field_of(err["loc"]), type_, messages.details(err), form=form)
        if said is None:
            unsaid.append(f"{field} {type_}: {msg}")
        elif said == msg or any(b in said for b in BANNED) or CODE.search(said) or not said[0].isupper():
            badly.append(f"{field} {type_}: {said}")
    assert not unsaid, f"{form} ({where}): no sentence in schemas/messages.py for:\n" + "\n".join(unsaid)
    assert not badly, f"{form}: library text, a field code or no capital:\n" + "\n".join(badly)


def test_the_catalogue_answers_as_the_design_system_does() -> None:
    """Sentences from the GOV.UK Design System's error message guidance, from real errors."""
    with pytest.raises(ValidationError) as caught:
        ReferralInput.model_validate(put(put(put(REFERRAL, ("child", "date_of_birth"), "2017-02-31"),
                                             ("reason",), "Too short"), ("concerns",), []))
    said = messages.sentences(caught.value)
    assert said == {"child.date_of_birth": "The child's date of birth must be a real date",
                    "reason": "The reason for the referral must be 20 characters or more",
                    "concerns": "Select at least one concern"}
    with pytest.raises(ValidationError) as caught:
        ReferralInput.model_validate(put(put(REFERRAL, ("child", "nhs_number"), "485 777 345"),
                                         ("referrer", "name"), ...))
    assert messages.sentences(caught.value) == {
        "child.nhs_number": "Enter an NHS number in the correct format, like 485 777 3456",
        "referrer.name": "Enter your name"}
    born = date.today().replace(year=date.today().year + 1).isoformat()
    with pytest.raises(ValidationError) as caught:
        ReferralInput.model_validate(put(REFERRAL, ("child", "date_of_birth"), born))
    assert messages.sentences(caught.value) == {
        "child.date_of_birth": "The child's date of birth must be today or in the past"}


def test_a_field_or_type_the_catalogue_does_not_know_still_reads_as_words() -> None:
    assert messages.catalogued("child.shoe_size", "missing") is None
    assert messages.catalogued("reason", "a_new_pydantic_type") is None
    assert messages.sentence("child.shoe_size", "missing") == "Check your answer to this question"
    assert messages.sentence("reason", "a_new_pydantic_type") == (
        "Check what is happening and why you are referring now")
    assert messages.sentence("parents_carers.0.missing_field", "missing", form="no such form") == (
        "Check your answer to this question")


def test_a_services_problem_reads_as_the_catalogues_sentence() -> None:
    """A 422's problem (schemas.errors.problems: field, problem, type, ctx) as a page shows it."""
    from schemas.errors import problems

    with pytest.raises(ValidationError) as caught:
        ReferralInput.model_validate(put(REFERRAL, ("reason",), "Too short"))
    [problem] = problems(caught.value)
    assert problem == {"field": "reason", "problem": "String should have at least 20 characters",
                       "type": "string_too_short", "ctx": {"min_length": 20}}
    assert messages.for_problem(problem) == "The reason for the referral must be 20 characters or more"
    with pytest.raises(ValidationError) as caught:
        DirectForm.model_validate({**FORMS[7][2], "date_of_birth": "1800-01-01"})
    assert [messages.for_problem(p, form="dsr_add") for p in problems(caught.value)] == [
        "Their date of birth must give an age of 120 or under",
        "Enter their NHS number: it is needed for a person aged 18 or over"]
