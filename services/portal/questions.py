"""The referral form as GOV.UK question pages: which fields each page asks, how a page's form data becomes part of
the Referral, and each page's problems.

The contract is the one validator: a page is checked by validating the whole draft as a Referral (schemas.referral,
tolerant input in lax mode, as intake does, on today's date in London) and keeping the problems of the fields this
page asks, in the words of the one catalogue (schemas.messages). The form adds only what is about the form itself:
the parts of a date (services.portal.dates) and "None of these" ticked beside an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from schemas import messages
from schemas.enums import (
    Concern,
    ConsentBasis,
    ContactMethod,
    Diagnosis,
    Duration,
    Impact,
    KnownService,
    ReferrerRole,
    Relationship,
    Risk,
    SenStatus,
    SocialCareStatus,
)
from schemas.identifiers import normalise_nhs_number, normalise_postcode
from schemas.labels import label
from schemas.referral import MAX_PARENTS_CARERS, ReferralInput
from services.portal import dates


def choices(enum: Any) -> list[tuple[str, str]]:
    return [(m.value, label(m.value)) for m in enum]


YEAR_GROUPS = [("-2", "Nursery (age 2 to 3)"), ("-1", "Nursery (age 3 to 4)"), ("0", "Reception"),
               *((str(n), f"Year {n}") for n in range(1, 15))]  # the referral's and the advice form's list

# The concerns under the headings a person looks for; every Concern is in exactly one group (a unit test says so).
CONCERN_GROUPS: tuple[tuple[str, tuple[Concern, ...]], ...] = (
    ("Mental health and behaviour", (
        Concern.anxiety, Concern.low_mood, Concern.self_harm, Concern.suicidal_ideation, Concern.eating,
        Concern.trauma, Concern.obsessive_compulsive, Concern.sleep, Concern.anger_regulation,
        Concern.low_self_esteem, Concern.behaviour_that_challenges, Concern.school_avoidance, Concern.attendance)),
    ("Life events and relationships", (
        Concern.bereavement, Concern.family_separation, Concern.bullying, Concern.relationship_difficulties,
        Concern.exploitation)),
    ("Speech, language and communication", (
        Concern.speech_sounds, Concern.expressive_language, Concern.receptive_language, Concern.social_communication,
        Concern.stammering, Concern.voice, Concern.selective_mutism, Concern.feeding_swallowing)),
    ("Family and home", (
        Concern.parenting, Concern.family_conflict, Concern.parental_mental_health, Concern.parental_substance_use,
        Concern.domestic_abuse, Concern.housing, Concern.finances, Concern.young_carer)),
)


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    fields: tuple[str, ...]  # the referral's field paths this page asks
    hint: str = ""
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


PAGES = (
    Page("child", "About the child",
         ("child.given_name", "child.family_name", "child.date_of_birth", "child.nhs_number", "child.postcode")),
    Page("contacts", "Parents and carers", ("parents_carers", "young_person_contact"),
         options={"relationship": choices(Relationship), "preferred_contact": choices(ContactMethod)}),
    Page("setting", "School or setting",
         ("child.education_setting.name", "child.education_setting.urn", "child.education_setting.year_group",
          "child.education_setting.has_mhst", "child.sen_status", "child.social_care_status", "child.diagnoses"),
         options={"child.sen_status": choices(SenStatus), "child.social_care_status": choices(SocialCareStatus),
                  "child.diagnoses": choices(Diagnosis), "child.education_setting.year_group": YEAR_GROUPS}),
    Page("needs", "What is happening", ("concerns", "impact", "duration", "risks", "known_services"),
         options={"concerns": choices(Concern), "impact": choices(Impact), "duration": choices(Duration),
                  "risks": choices(Risk), "known_services": choices(KnownService)}),
    Page("consent", "Consent", ("consent.basis", "consent.child_aware"),
         options={"consent.basis": choices(ConsentBasis)}),
    Page("reason", "Why you are referring now", ("reason", "voice_of_child")),
    Page("referrer", "About you",
         ("referrer.name", "referrer.role", "referrer.organisation", "referrer.email", "referrer.phone"),
         options={"referrer.role": choices(ReferrerRole)}),
)
PAGE_OF = {path: page for page in PAGES for path in page.fields}
LIST_FIELDS = {"child.diagnoses", "concerns", "risks", "known_services"}
BOOL_FIELDS = {"child.education_setting.has_mhst", "consent.child_aware"}
NONE_OF_THESE = "none"  # the exclusive "None of these" box: stored as an empty list
EXCLUSIVE = {"risks", "known_services"}  # the lists with a "None of these" box
SAVED = "saved_pages"  # the draft's record of the pages the person saved (never part of the referral)
OTHER_ANSWERS = ("advice_request_id",)  # what a draft may carry beyond the pages' fields, sent as it is
PERSON = ("name", "relationship", "parental_responsibility", "may_contact", "preferred_contact", "phone", "email",
          "do_not_contact_reason", "interpreter_language")
OWN_CONTACT = ("preferred_contact", "phone", "email")
# Where a problem of a whole person (or of the whole list) links to: their first question.
FIRST_QUESTION = {"parents_carers": "-name", "young_person_contact": "-preferred_contact"}
SHOWN_PEOPLE = 2  # fieldsets shown at first; "Add another" shows one more, up to the contract's limit


def html_id(path: str) -> str:
    return path.replace(".", "-")


def page(slug: str) -> Page | None:
    return next((p for p in PAGES if p.slug == slug), None)


def next_page(slug: str) -> str:
    index = [p.slug for p in PAGES].index(slug)
    return PAGES[index + 1].slug if index + 1 < len(PAGES) else "check"


def previous_page(slug: str) -> str | None:
    index = [p.slug for p in PAGES].index(slug)
    return PAGES[index - 1].slug if index else None


def _typed(form: dict[str, list[str]], name: str) -> str:
    return form.get(name, [""])[0].strip()


def _people(form: dict[str, list[str]]) -> list[dict[str, str]] | None:
    """The parents and carers as typed, a blank fieldset left out (None when there is nobody)."""
    people = [{key: _typed(form, f"parents_carers-{i}-{key}") for key in PERSON} for i in range(MAX_PARENTS_CARERS)]
    given = [p for p in people if any(p.values())]
    return given or None


def read(page_: Page, form: dict[str, list[str]]) -> dict[str, Any]:
    """This page's answers as {path: value}, as typed (empty optional answers are left out when sent)."""
    answers: dict[str, Any] = {}
    for path in page_.fields:
        if path == "child.date_of_birth":
            answers[path] = dates.read(form, "dob")
        elif path == "parents_carers":
            answers[path] = _people(form)
        elif path == "young_person_contact":
            own = {key: _typed(form, f"young_person_contact-{key}") for key in OWN_CONTACT}
            answers[path] = own if any(own.values()) else None
        elif path in EXCLUSIVE:
            ticked = [v for v in form.get(html_id(path), []) if v]
            answers[path] = ([] if ticked == [NONE_OF_THESE] else ticked) if ticked else None
        elif path in LIST_FIELDS:
            answers[path] = [v for v in form.get(html_id(path), []) if v]
        elif path in BOOL_FIELDS:
            answers[path] = form.get(html_id(path), [""])[0] == "yes"
        else:
            answers[path] = _typed(form, html_id(path))
    return answers


def _person_body(person: dict[str, str]) -> dict[str, Any]:
    """A parent or carer as the contract takes it: of "May services contact them?", only the questions for the answer
    given ("If yes, ...", "If no, ...": what was typed for the other answer is not sent, so a person who must not be
    contacted has no contact details sent), blank answers left out."""
    chosen = dict(person)
    if chosen.get("may_contact") == "yes":
        chosen.pop("do_not_contact_reason", None)
    elif chosen.get("may_contact") == "no":
        for key in OWN_CONTACT:
            chosen.pop(key, None)
    return {k: v for k, v in chosen.items() if v}


def to_referral(draft: dict[str, Any], *, dates_as_typed: bool = False) -> dict[str, Any]:
    """The draft's answers as a Referral body (blank optional fields omitted, the setting only if any of it is
    given). A date of birth goes as YYYY-MM-DD; with `dates_as_typed` a date with a problem of its parts is left
    out (the page says what is wrong with the parts, not the contract)."""
    body: dict[str, Any] = {"channel": "professional_portal", "child": {}, "referrer": {}, "consent": {}}
    for path, value in draft.items():
        if path not in PAGE_OF:
            if path in OTHER_ANSWERS and value not in ("", None):
                body[path] = value
            continue
        if value in ("", None) or (path in LIST_FIELDS - EXCLUSIVE and not value and path != "concerns"):
            continue
        if path == "child.date_of_birth":
            if dates_as_typed and dates.part_problem(value):
                continue
            value = dates.iso(value)
        elif path == "parents_carers":
            value = [_person_body(p) for p in value]
        elif path == "young_person_contact":
            value = {k: v for k, v in value.items() if v}
        target = body
        *parents, leaf = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[leaf] = value
    setting = body["child"].get("education_setting")
    if setting is not None and not {"name", "urn", "year_group"} & setting.keys():
        body["child"].pop("education_setting")  # only "has a Mental Health Support Team: no", the default
    return body


@dataclass(frozen=True)
class Problems:
    """A page's problems: {field path: sentence} in the page's order (a parent's or carer's field by its full
    path, "parents_carers.0.phone"), and the parts of a date to highlight."""

    errors: dict[str, str]
    date_parts: dict[str, tuple[str, ...]]

    def href(self, path: str) -> str:
        """The summary's link: the part of a date in error, the first question about a person, else the field."""
        parts = self.date_parts.get(path)
        if parts:
            return f"#{html_id(path)}-{parts[0]}"
        first = FIRST_QUESTION.get(messages.path(path))
        if first and path == "parents_carers":  # the list as a whole: its first person
            return f"#{html_id(path)}-0{first}"
        return f"#{html_id(path)}{first}" if first else f"#{html_id(path)}"


def _page_field(page_: Page, path: str) -> str | None:
    """The field of this page that a problem at dotted `path` belongs to (None when it is not on this page)."""
    plain = messages.path(path)
    for asked in sorted(page_.fields, key=len, reverse=True):
        if plain == asked or plain.startswith(asked + "."):
            return path if asked in ("parents_carers", "young_person_contact") else asked
    return None


def contract_problems(draft: dict[str, Any], today: date) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every problem the contract finds in the draft as a referral sent today: (dotted path, type, context)."""
    try:
        ReferralInput.model_validate(to_referral(draft, dates_as_typed=True), context={"as_of": today})
    except ValidationError as exc:
        return [(messages.field_of(e["loc"]), e["type"], e.get("ctx"))
                for e in exc.errors(include_url=False, include_input=False)]
    return []


def problems(page_: Page, draft: dict[str, Any], today: date) -> Problems:
    """This page's problems in the draft: those of the form (a date's parts, "None of these" beside an answer),
    then the contract's for the fields the page asks."""
    errors: dict[str, str] = {}
    highlight: dict[str, tuple[str, ...]] = {}
    found: dict[str, str] = {}
    for path in page_.fields:
        value = draft.get(path)
        if path == "child.date_of_birth" and (part := dates.part_problem(str(value or ""))):
            type_, ctx, parts = part
            found[path] = messages.sentence(path, type_, ctx)
            highlight[path] = parts
        elif path in EXCLUSIVE and isinstance(value, list) and NONE_OF_THESE in value:
            found[path] = messages.sentence(path, "none_of_these_and_others")
    for where, kind, context in contract_problems(draft, today):
        asked = _page_field(page_, where)
        if asked is None or asked in found:
            continue
        found[asked] = whose(asked) + messages.sentence(where, kind, context)
        if asked == "child.date_of_birth":
            real = kind in ("date_parsing", "date_from_datetime_parsing", "date_type")
            highlight[asked] = dates.wrong_parts(str(draft.get(asked))) if real else dates.PARTS
    for path in page_.fields:  # the page's order, a person's fields in the order of the fieldsets
        for key in sorted((k for k in found if k == path or k.startswith(path + ".")), key=_fieldset_order):
            errors[key] = found[key]
    return Problems(errors, highlight)


def whose(path: str) -> str:
    """Which parent or carer a problem is about ("Parent or carer 2: "), so the summary says which fieldset to
    correct when there are several; nothing for any other field."""
    head, _, rest = path.partition(".")
    index = rest.partition(".")[0]
    return f"Parent or carer {int(index) + 1}: " if head == "parents_carers" and index.isdigit() else ""


def _fieldset_order(path: str) -> tuple[int, int]:
    parts = path.split(".")
    index = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else -1
    leaf = parts[-1]
    return index, (PERSON.index(leaf) if leaf in PERSON else len(PERSON))


def whole_draft(draft: dict[str, Any], today: date) -> list[tuple[Page, Problems]]:
    """Each page with problems in the draft, in the form's order."""
    checked = [(p, problems(p, draft, today)) for p in PAGES]
    return [(p, found) for p, found in checked if found.errors]


def shown_people(draft: dict[str, Any], more: bool) -> int:
    """How many parent or carer fieldsets the contacts page shows: those given and a blank one (two at least), and
    one more after "Add another"; never more than the contract allows."""
    given = len(draft.get("parents_carers") or [])
    return min(MAX_PARENTS_CARERS, max(SHOWN_PEOPLE, given + 1 + (1 if more else 0)))


def answered_none(path: str, value: Any) -> bool:
    """"None of these" was the answer (an empty list saved for a list with that box)."""
    return path in EXCLUSIVE and value == []


TIDIED = {"child.postcode": normalise_postcode, "child.nhs_number": normalise_nhs_number}


def tidy(path: str, value: Any) -> Any:
    """An identifier as the contract keeps it ("SS1 2AB" for "ss1 2ab"), by the contract's own normalising; anything
    else, or an identifier that is not valid, as typed."""
    normalise = TIDIED.get(path)
    if normalise is None or not isinstance(value, str) or not value:
        return value
    try:
        return normalise(value)
    except ValueError:
        return value
