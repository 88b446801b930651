"""One catalogue of error messages: every contract error a form can meet (a field, by its dotted path, and the
pydantic error type) as one sentence in GOV.UK style ("Enter the child's date of birth", "Reason for the referral
must be 20 characters or more", "Select at least one concern"), never a library's text or a field code.

How a sentence is found, for an error at `field` (list indexes dropped: "parents_carers.0.phone" is
"parents_carers.phone") of type `type_`:
1. the field's words: FIELDS[path], else FIELDS of a shorter tail of the path ("child.date_of_birth", then
   "date_of_birth"), so a field shared by several models needs its words once;
2. the field's own sentence for that type (`Words.own[type_]`, or `Words.own["value_error:<message>"]` for a
   validator's message), else the type's template (TEMPLATES; a validator's message: VALUE_ERRORS), filled with
   the field's words and the error's limits (min_length, max_length, ge, le...).

`catalogued` says None when the field has no words or the type no template (tests/unit/test_error_catalogue.py
fails then); `sentence` always answers, falling back to "Check <the field>" so no code ever reaches a page.
Pure: schemas only, so every service and the portal can use it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from pydantic import ValidationError

from schemas.referral import MAX_AGE_YEARS
from schemas.views.notes import NOTE_MAX_LENGTH


@dataclass(frozen=True)
class Words:
    """How a person names a field and how they give it: `noun` in lower case as it reads mid-sentence ("the
    child's date of birth"); `verb` the imperative a missing answer takes ("Enter", "Select", "Choose",
    "Upload"); `own`: sentences of its own by error type (or "value_error:<the validator's message>")."""

    noun: str
    verb: str = "Enter"
    own: Mapping[str, str] = dataclass_field(default_factory=dict)


def _words(noun: str, verb: str = "Enter", *, said: Mapping[str, str] | None = None, **own: str) -> Words:
    """A field's words; `own` its sentences by error type, `said` by a validator's message."""
    return Words(noun, verb, own | {f"value_error:{message}": text for message, text in (said or {}).items()})


NHS_FORMAT = "Enter an NHS number in the correct format, like 485 777 3456"
NHS_REAL = "Enter a real NHS number: check each digit against their records"
UPN_FORMAT = "Enter a unique pupil number in the correct format, like A12345678901B"
UPN_REAL = "Enter a real unique pupil number: check each character"
POSTCODE_FORMAT = "Enter a real postcode, like SS1 2AB"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
AGE = "Enter the child's age in years, like 7"
YEAR_GROUP = "Select the child's year group from the list"
# A front-door change missing what its kind needs (schemas/events.py, RouteChange), by the validator's message.
CHANGE_NEEDS = {f"{kind} needs {needs}": text for kind, needs, text in (
    *(("add_route", needs, "Choose the service, pathway and priority of the route to add")
      for needs in ("service", "pathway", "priority", "service, pathway", "service, priority", "pathway, priority",
                    "service, pathway, priority")),
    ("withdraw_route", "service_request_id", "Choose the request to withdraw"),
    *(("change_priority", needs, "Choose the request and its new priority")
      for needs in ("service_request_id", "priority", "service_request_id, priority")),
    ("close", "signpost", "Say where the family should go instead"))}
PHONE_FORMAT = "Enter a telephone number, like 01632 960 001 or 07700 900 982"

# A field's words, by its dotted path without list indexes (or a tail of it, for a field every model names alike).
# The referral's (schemas/referral.py): intake's POST and PATCH /referrals and the portal's question pages.
FIELDS: dict[str, Words] = {
    "client_reference": _words("your own reference for this referral"),
    "channel": _words("how the referral was made", "Select"),
    "child": _words("the child's details"),
    "child.given_name": _words("the child's first name"),
    "child.family_name": _words("the child's last name"),
    "date_of_birth": _words("the child's date of birth", said={
        f"must give an age under {MAX_AGE_YEARS} at submission":
            f"The child must be under {MAX_AGE_YEARS}: check their date of birth"}),
    "nhs_number": _words("the child's NHS number", string_pattern_mismatch=NHS_FORMAT,
                         said={"must be 10 digits": NHS_FORMAT,
                               "check digit is wrong (not a valid NHS number)": NHS_REAL}),
    "upn": _words("the child's unique pupil number", string_pattern_mismatch=UPN_FORMAT,
                  said={"must be a letter, 11 digits, then a digit or letter": UPN_FORMAT,
                        "check letter is wrong (not a valid UPN)": UPN_REAL}),
    "postcode": _words("the child's home postcode", string_pattern_mismatch=POSTCODE_FORMAT,
                       said={"must be a UK postcode, like SS1 2AB": POSTCODE_FORMAT}),
    "education_setting": _words("the child's school or setting"),
    "education_setting.urn": _words("the school's unique reference number (URN)",
                                    string_pattern_mismatch="Enter the school's URN as 6 digits, like 100000"),
    "education_setting.name": _words("the name of the child's school or setting"),
    "education_setting.has_mhst": _words("whether the school has a mental health support team", "Select"),
    "year_group": Words("the child's year group", "Select", dict.fromkeys(
        ("int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal"), YEAR_GROUP)),
    "diagnoses": _words("the child's diagnoses", "Select", enum="Select each diagnosis from the list"),
    "sen_status": _words("the child's special educational needs support", "Select"),
    "social_care_status": _words("the child's social care involvement", "Select"),
    "referrer": _words("your details"),
    "referrer.name": _words("your name"),
    "referrer.role": _words("your role", "Select"),
    "referrer.organisation": _words("your organisation"),
    "referrer.email": _words("your email address", string_pattern_mismatch=EMAIL_FORMAT),
    "referrer.phone": _words("your telephone number", string_pattern_mismatch=PHONE_FORMAT),
    "consent": _words("who has agreed to this referral", "Select"),
    "consent.basis": _words("who has agreed to this referral", "Select"),
    "consent.child_aware": _words("whether the child knows about this referral", "Select"),
    "reason": _words("what is happening and why you are referring now", "Tell us",
                     string_too_short="The reason for the referral must be {min_length:,} characters or more",
                     string_too_long="The reason for the referral must be {max_length:,} characters or fewer"),
    "concerns": _words("what you are concerned about", "Select", too_short="Select at least one concern",
                       enum="Select each concern from the list"),
    "impact": _words("how much this affects the child's daily life", "Select"),
    "duration": _words("how long this has been happening", "Select"),
    "risks": _words("the risks you know about", "Select", enum="Select each risk from the list"),
    "known_services": _words("the services already involved", "Select", enum="Select each service from the list"),
    "voice_of_child": _words("what the child says", "Tell us"),
    # Who to contact about the child (contract 1.1)
    "parents_carers": _words("the parents and carers"),
    "parents_carers.name": _words("the parent or carer's name"),
    "parents_carers.relationship": _words("their relationship to the child", "Select"),
    "parents_carers.parental_responsibility": _words("whether they have parental responsibility", "Select"),
    "parents_carers.may_contact": _words("whether they may be contacted", "Select"),
    "parents_carers.do_not_contact_reason": _words("why they must not be contacted", said={
        "must be given when they may not be contacted": "Enter why they must not be contacted",
        "must be left out when they may be contacted": "Only say why they must not be contacted when they may not be"}),
    "parents_carers.preferred_contact": _words("how they prefer to be contacted", "Select", said={
        "must be given when they may be contacted": "Select how they prefer to be contacted",
        "must be left out when they may not be contacted":
            "Only select how they prefer to be contacted when they may be contacted"}),
    "parents_carers.phone": _words("their telephone number", string_pattern_mismatch=PHONE_FORMAT, said={
        "must be given when phone is the preferred way of contact":
            "Enter their telephone number, or select another way to contact them"}),
    "parents_carers.email": _words("their email address", string_pattern_mismatch=EMAIL_FORMAT, said={
        "must be given when email is the preferred way of contact":
            "Enter their email address, or select another way to contact them"}),
    "parents_carers.interpreter_language": _words("the language they need an interpreter for"),
    "young_person_contact": _words("the young person's own contact details", said={
        "must be left out for a child under 16 at submission":
            "Only give the young person's own contact details if they are 16 or over"}),
    "young_person_contact.preferred_contact": _words("how the young person prefers to be contacted", "Select"),
    "young_person_contact.phone": _words("the young person's telephone number", string_pattern_mismatch=PHONE_FORMAT,
                                         said={"must be given when phone is the preferred way of contact":
                                               "Enter the young person's telephone number, or select another way"}),
    "young_person_contact.email": _words("the young person's email address", string_pattern_mismatch=EMAIL_FORMAT,
                                         said={"must be given when email is the preferred way of contact":
                                               "Enter the young person's email address, or select another way"}),
    "advice_request_id": _words("the advice request this referral comes from", "Choose"),
}

# A person on the register (the DSR add form): a person of any age, not "the child".
PERSON: dict[str, Words] = {
    "given_name": _words("their first name"),
    "family_name": _words("their last name"),
    "date_of_birth": _words("their date of birth", said={
        "must give an age of at most 120": "Their date of birth must give an age of 120 or under"}),
    "nhs_number": _words("their NHS number", string_pattern_mismatch=NHS_FORMAT, said={
        "must be 10 digits": NHS_FORMAT, "check digit is wrong (not a valid NHS number)": NHS_REAL},
        missing="Enter their NHS number: it is needed for a person aged 18 or over"),  # only an adult's is required
}
NOTE = _words("the note")
FORMS: dict[str, dict[str, Words]] = {
    "referral": FIELDS,
    # Asking for advice (services/intake/advice: AdviceInput) and answering it (AnswerForm).
    "advice": {
        "question": _words("your question"),
        "concerns": FIELDS["concerns"],
        "year_group": FIELDS["year_group"],
        "age": _words("the child's age", int_parsing=AGE, int_type=AGE,
                      int_from_float="Enter the child's age in whole years, like 7",
                      greater_than_equal="The child's age must be {ge} or more",
                      less_than_equal="The child's age must be {le} or under"),
        "education_setting": FIELDS["education_setting"],
        "education_setting.urn": FIELDS["education_setting.urn"],
        "education_setting.name": FIELDS["education_setting.name"],
        "education_setting.has_mhst": FIELDS["education_setting.has_mhst"],
    },
    "advice_answer": {
        "answer": _words("your advice"),
        "next_step": _words("what you suggest next", "Select"),
        "refer_to": _words("the service you suggest a referral to", "Select", said={
            "give a service only when the next step is make_referral":
                "Select a service only when you suggest a referral"}),
    },
    # A service's worker on a request (services/worklists/routes.py).
    "decline": {"reason": _words("the reason for declining"),
                "signpost": _words("where the family can go instead")},
    "redirect": {"redirect_to": _words("the service to redirect to", "Select"),
                 "reason": _words("the reason for redirecting")},
    "note": {"reason": NOTE},
    "held": {"decision": _words("whether to release or decline the requests", "Select"),
             "reason": _words("the reason for declining", said={
                 "Enter why you are declining these requests": "Enter why you are declining these requests"}),
             "request_ids": _words("the requests to decide on", "Select")},
    # The register (services/dsr): adding a person, a review, consent, closing an entry.
    "dsr_add": PERSON | {
        "diagnoses": _words("their diagnoses", "Select", too_short="Select at least one diagnosis",
                            literal_error="Select each diagnosis from the list"),
        "risks": _words("the risks", "Select", too_short="Select at least one risk",
                        enum="Select each risk from the list"),
        "has_ehcp": _words("whether they have an education, health and care plan", "Select"),
        "consent": _words("whether they have consented to being on the register", "Select"),
        "consent_given_by": _words("who gave consent or made the best-interests decision"),
        "referring_agency": _words("the referring agency"),
        "referrer_contact": _words("your telephone number or email address"),
        "reason": _words("the reason they need to be on the register"),
        "current_setting": _words("where they are now", "Select"),
    },
    "dsr_review": {
        "rating": _words("the rating", "Select"),
        "keyworker": _words("the keyworker allocated"),
        "lead_professional": _words("the lead professional"),
        "rationale": _words("the reason for this rating"),
        "attendees": _words("who attended", too_short="Enter at least one person who attended"),
        "attendees.name": _words("the attendee's role or name"),
        "attendees.agency": _words("the attendee's agency"),
        "actions": _words("the actions"),
        "actions.what": _words("the action"),
        "actions.owner_agency": _words("the agency that owns the action"),
        "actions.due": _words("the action's due date"),
        "next_review_due": _words("the date of the next review"),
        "held_on": _words("the date of the review meeting"),
    },
    "dsr_consent": {"basis": _words("who gave consent", "Select"), "given_by": _words("who gave consent")},
    "dsr_close": {"reason": _words("why the entry is closing", "Select")},
    # The front door (services/intake/front_door, children): a decision, contacts, chases, duplicates, replays.
    "override": {
        "rationale": _words("your reasons for this decision"),
        "disagreed_with": _words("the rules you disagree with", "Select",
                                 string_pattern_mismatch="Select each rule you disagree with from the list"),
        "changes": _words("what you want to change", "Choose", said=CHANGE_NEEDS),
        "changes.kind": _words("what you want to change", "Choose"),
        "changes.service": _words("the service of the route to add", "Choose"),
        "changes.pathway": _words("the pathway of the route to add", "Choose",
                                  string_pattern_mismatch="Choose the pathway from the list"),
        "changes.priority": _words("the priority", "Choose"),
        "changes.service_request_id": _words("the request", "Choose"),
        "changes.signpost": _words("where the family should go instead", "Say"),
    },
    "emergency_contact": {
        "contacted": _words("who was contacted", "Say",
                            missing="Say who was contacted (a role, for example Mother or Social worker)"),
        "how": _words("how contact was made", "Choose"),
        "contacted_at": _words("the date and time of contact",
                               missing="Enter the date and time of contact, for example 25 11 2026 and 14:30", said={
            "must not be in the future": "The date and time of contact must be now or in the past"}),
        "note": NOTE,
    },
    "chase": {"how": _words("how the referrer was contacted", "Choose"), "note": NOTE},
    "merge": {"survivor_id": _words("which record to keep", "Choose"),
              "merged_id": _words("the record to merge into it", "Select"),
              "reason": _words("the reason these are the same child")},
    "different": {"child_a": _words("the first record", "Select"), "child_b": _words("the second record", "Select"),
                  "reason": _words("the reason these are different children")},
    # A case note on a front-door referral, a service request or a register entry (services/common/notes.py).
    "case_note": {"text": _words("the note",
                                 string_too_long=f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer")},
    "replay": {"topic": _words("which events to process again", "Select"),
               "ids": _words("the events to process again", "Select",
                             string_pattern_mismatch="Select each event from the list")},
    # Find a child (services/portal/routes/search.py): one box, whatever it holds.
    "search": {"q": _words("a name, date of birth, NHS number, UPN, postcode or reference",
                           string_too_long="Enter {max_length:,} characters or fewer")},
    # An event that can never succeed, discarded by an administrator (services/intake/dead_letters: DiscardForm).
    "discard": {"event_id": _words("the event to discard", "Choose"),
                "reason": _words("why you are discarding this event",
                                 string_too_short="Say why you are discarding this event in {min_length:,} characters "
                                                  "or more")},
}

# Each pydantic error type's sentence, from the field's words: {noun} mid-sentence, {Noun} at the start, {verb}.
GIVE = "{verb} {noun}"
REAL_DATE = "{Noun} must be a real date"
REAL_TIME = "{Noun} must be a real date and time"
NUMBER = "{Noun} must be a number"
TEMPLATES: dict[str, str] = {
    "missing": GIVE, "string_type": GIVE, "list_type": GIVE, "model_type": GIVE, "model_attributes_type": GIVE,
    "dict_type": GIVE, "enum": GIVE, "literal_error": GIVE, "uuid_type": GIVE, "uuid_parsing": GIVE,
    "uuid_version": GIVE, "bool_type": GIVE, "bool_parsing": GIVE, "union_tag_invalid": GIVE,
    "union_tag_not_found": GIVE, "none_required": GIVE,
    "string_too_short": "{Noun} must be {min_length:,} characters or more",
    "string_too_long": "{Noun} must be {max_length:,} characters or fewer",
    "string_pattern_mismatch": "Enter {noun} in the correct format",
    "too_short": "{verb} at least {min_length} of {noun}",
    "too_long": "{verb} no more than {max_length} of {noun}",
    "int_type": NUMBER, "int_parsing": NUMBER, "int_from_float": "{Noun} must be a whole number",
    "float_type": NUMBER, "float_parsing": NUMBER, "decimal_parsing": NUMBER,
    "greater_than_equal": "{Noun} must be {ge} or more", "less_than_equal": "{Noun} must be {le} or less",
    "greater_than": "{Noun} must be more than {gt}", "less_than": "{Noun} must be less than {lt}",
    "date_type": REAL_DATE, "date_parsing": REAL_DATE, "date_from_datetime_parsing": REAL_DATE,
    "date_from_datetime_inexact": REAL_DATE,
    "date_past": "{Noun} must be in the past", "date_future": "{Noun} must be in the future",
    "datetime_type": REAL_TIME, "datetime_parsing": REAL_TIME, "datetime_from_date_parsing": REAL_TIME,
    "datetime_object_invalid": REAL_TIME, "timezone_aware": REAL_TIME,
    # A form's own checks, before the contract's (services/portal/dates.py, services/portal/questions.py): the parts
    # of a GOV.UK date input, and an exclusive "None of these" box ticked beside an answer.
    "date_parts_missing": "{Noun} must include {parts}", "date_year_digits": "Year must include 4 numbers",
    "none_of_these_and_others": "Select {noun}, or select ‘None of these’",
}
# An empty answer reads as a missing one ("Enter your name", not "Your name must be 1 characters or more").
EMPTY = frozenset({"string_too_short", "too_short"})

# A validator's own message (a ValueError's text, as pydantic's ctx["error"] holds it) as a sentence.
VALUE_ERRORS: dict[str, str] = {
    "must not contain duplicates": "{Noun} must not have the same answer twice",
    "must not be in the future": "{Noun} must be today or in the past",
    "must be a time between the years 1 and 9999 in London time": REAL_TIME,
    "must be a time between the years 1 and 9999 in UTC": REAL_TIME,
    "must be a date that exists (day value is outside expected range)": REAL_DATE,
    "must be a date and time with its offset, like 2026-03-04T09:30:00Z (RFC 3339)": REAL_TIME,
    "must be a UUID written 8-4-4-4-12 with hyphens": GIVE,
    # schemas/names.py: a person's name
    "must not contain control characters": "{Noun} must not contain tabs or other hidden characters",
    "must not contain line breaks": "{Noun} must be on one line",
    "must not contain invalid characters": "{Noun} must only contain letters, spaces and punctuation",
    "must not contain private-use characters": "{Noun} must only contain letters, spaces and punctuation",
    "must not contain text-direction controls or invisible formatting characters":
        "{Noun} must not contain hidden formatting characters: type it again rather than pasting it",
    "must contain at least one visible letter": GIVE,
    # schemas/referral.py
    f"must give an age under {MAX_AGE_YEARS} at submission": f"{{Noun}} must be for a person under {MAX_AGE_YEARS}",
}

REFERRAL = "referral"
VALIDATORS = frozenset({"value_error", "assertion_error"})
EXTRA = "The form sent an answer to a question it does not ask: go back and try again"


def path(field: str) -> str:
    """A dotted field path without its list indexes: "parents_carers.0.phone" -> "parents_carers.phone"."""
    return ".".join(part for part in field.split(".") if not part.isdigit())


def words_for(field: str, form: str = REFERRAL) -> Words | None:
    """The words of the field at dotted `field` on `form`: its own, else those of the longest tail of its path."""
    table = FORMS.get(form, {})
    parts = path(field).split(".")
    for start in range(len(parts)):
        found = table.get(".".join(parts[start:]))
        if found is not None:
            return found
    return None


def _limits(ctx: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (ctx or {}).items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


def _message(ctx: Mapping[str, Any] | None) -> str:
    error = (ctx or {}).get("error")
    return str(error).removeprefix("Value error, ").removeprefix("Assertion failed, ") if error is not None else ""


def catalogued(field: str, type_: str, ctx: Mapping[str, Any] | None = None, *,
               form: str = REFERRAL) -> str | None:
    """The catalogue's sentence for this error on `form`, or None when the field has no words or the type (or a
    validator's message) no sentence."""
    if type_ == "extra_forbidden":
        return EXTRA
    words = words_for(field, form)
    if words is None:
        return None
    message = _message(ctx)
    template = None
    if type_ in VALIDATORS:
        template = words.own.get(f"value_error:{message}") or VALUE_ERRORS.get(message)
    empty = type_ in EMPTY and (ctx or {}).get("min_length") == 1
    template = (template or words.own.get(type_) or (words.own.get("missing") if empty else None)
                or TEMPLATES.get("missing" if empty else type_))
    if template is None:
        return None
    values = {"noun": words.noun, "Noun": words.noun[:1].upper() + words.noun[1:], "verb": words.verb}
    try:
        return template.format(**(_limits(ctx) | values))
    except (KeyError, IndexError, ValueError):  # a limit the template needs is not in ctx
        return None


def sentence(field: str, type_: str, ctx: Mapping[str, Any] | None = None, *, form: str = REFERRAL) -> str:
    """The GOV.UK sentence for one error at dotted `field` (list indexes allowed) of pydantic type `type_` on
    `form` (a key of FORMS: the referral's unless said)."""
    found = catalogued(field, type_, ctx, form=form)
    if found is not None:
        return found
    words = words_for(field, form)
    return f"Check {words.noun}" if words else "Check your answer to this question"


def too_short(field: str, value: str, min_length: int, *, form: str = REFERRAL) -> str | None:
    """A page's own check of typed text before it is sent, in the catalogue's words: None when `value` has
    `min_length` characters (trimmed), else the sentence for an empty or a short answer."""
    if len(value.strip()) >= min_length:
        return None
    if not value.strip():
        return sentence(field, "missing", form=form)
    return sentence(field, "string_too_short", {"min_length": min_length}, form=form)


def field_of(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def for_problem(problem: Mapping[str, Any], *, form: str = REFERRAL) -> str:
    """The sentence for one problem of a service's 422 (schemas.errors.problems: field, problem, type, ctx); a
    validator's message is its `problem`. A problem without a type (an older service) gets its field's words."""
    ctx = dict(problem.get("ctx") or {})
    type_ = str(problem.get("type") or "")
    if type_ in VALIDATORS:
        ctx["error"] = problem.get("problem", "")
    return sentence(str(problem.get("field", "")), type_, ctx, form=form)


def details(err: Mapping[str, Any]) -> dict[str, Any]:
    """An error's ctx as the catalogue reads it, with a validator's message as `error` even when the error was
    raised again without its ctx (pydantic's msg, less its "Value error, " prefix)."""
    ctx = dict(err.get("ctx") or {})
    if err["type"] in VALIDATORS and "error" not in ctx:
        ctx["error"] = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return ctx


def sentences(exc: ValidationError, *, form: str = REFERRAL) -> dict[str, str]:
    """{dotted field path: sentence} for every field in `exc` (errors of `form`), the first error of each."""
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        field = field_of(err["loc"])
        out.setdefault(field, sentence(field, err["type"], details(err), form=form))
    return out
