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


@dataclass(frozen=True)
class Words:
    """How a person names a field and how they give it: `noun` in lower case as it reads mid-sentence ("the
    child's date of birth"); `verb` the imperative a missing answer takes ("Enter", "Select", "Choose",
    "Upload"); `own`: sentences of its own by error type (or "value_error:<the validator's message>")."""

    noun: str
    verb: str = "Enter"
    own: Mapping[str, str] = dataclass_field(default_factory=dict)


def _words(noun: str, verb: str = "Enter", said: Mapping[str, str] | None = None, **own: str) -> Words:
    """A field's words; `own` its sentences by error type, `said` by a validator's message."""
    return Words(noun, verb, own | {f"value_error:{message}": text for message, text in (said or {}).items()})


NHS_FORMAT = "Enter an NHS number in the correct format, like 485 777 3456"
NHS_REAL = "Enter a real NHS number: check each digit, like 485 777 3456"
UPN_FORMAT = "Enter a unique pupil number in the correct format, like A12345678901B"
UPN_REAL = "Enter a real unique pupil number: check each character"
POSTCODE_FORMAT = "Enter a real postcode, like SS1 2AB"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
PHONE_FORMAT = "Enter a telephone number, like 01632 960 001 or 07700 900 982"

# A field's words, by its dotted path without list indexes (or a tail of it, for a field every model names alike).
FIELDS: dict[str, Words] = {
    # The referral (schemas/referral.py): intake's POST /referrals and the portal's question pages.
    "client_reference": _words("your own reference for this referral"),
    "channel": _words("how the referral was made", "Select"),
    "child": _words("the child's details"),
    "child.given_name": _words("the child's first name"),
    "child.family_name": _words("the child's last name"),
    "date_of_birth": _words("the child's date of birth"),
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
    "year_group": _words("the child's year group", "Select",
                         int_parsing="Select the child's year group from the list",
                         greater_than_equal="Select the child's year group from the list",
                         less_than_equal="Select the child's year group from the list"),
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
                     string_too_short="The reason for the referral must be {min_length} characters or more",
                     string_too_long="The reason for the referral must be {max_length} characters or fewer"),
    "concerns": _words("what you are concerned about", "Select", too_short="Select at least one concern",
                       enum="Select each concern from the list"),
    "impact": _words("how much this affects the child's daily life", "Select"),
    "duration": _words("how long this has been happening", "Select"),
    "risks": _words("the risks you know about", "Select", enum="Select each risk from the list"),
    "known_services": _words("the services already involved", "Select",
                             enum="Select each service from the list"),
    "voice_of_child": _words("what the child says", "Tell us"),
    "advice_request_id": _words("the advice request this referral comes from", "Choose"),
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
    "string_too_short": "{Noun} must be {min_length} characters or more",
    "string_too_long": "{Noun} must be {max_length} characters or fewer",
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

EXTRA = "The form sent an answer to a question it does not ask: go back and try again"


def path(field: str) -> str:
    """A dotted field path without its list indexes: "parents_carers.0.phone" -> "parents_carers.phone"."""
    return ".".join(part for part in field.split(".") if not part.isdigit())


def words_for(field: str) -> Words | None:
    """The words of the field at dotted `field`: its own, else those of the longest tail of its path."""
    parts = path(field).split(".")
    for start in range(len(parts)):
        found = FIELDS.get(".".join(parts[start:]))
        if found is not None:
            return found
    return None


def _limits(ctx: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (ctx or {}).items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


def _message(ctx: Mapping[str, Any] | None) -> str:
    error = (ctx or {}).get("error")
    return str(error).removeprefix("Value error, ") if error is not None else ""


def catalogued(field: str, type_: str, ctx: Mapping[str, Any] | None = None) -> str | None:
    """The catalogue's sentence for this error, or None when the field has no words or the type no template."""
    if type_ == "extra_forbidden":
        return EXTRA
    words = words_for(field)
    if words is None:
        return None
    message = _message(ctx)
    template = None
    if type_ in ("value_error", "assertion_error"):
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


def sentence(field: str, type_: str, ctx: Mapping[str, Any] | None = None) -> str:
    """The GOV.UK sentence for one error at dotted `field` (list indexes allowed) of pydantic type `type_`."""
    found = catalogued(field, type_, ctx)
    if found is not None:
        return found
    words = words_for(field)
    return f"Check {words.noun}" if words else "Check your answer to this question"


def field_of(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


VALIDATORS = frozenset({"value_error", "assertion_error"})


def for_problem(problem: Mapping[str, Any]) -> str:
    """The sentence for one problem of a service's 422 (schemas.errors.problems: field, problem, type, ctx); a
    validator's message is its `problem`. A problem without a type (an older service) gets its field's words."""
    ctx = dict(problem.get("ctx") or {})
    type_ = str(problem.get("type") or "")
    if type_ in VALIDATORS:
        ctx["error"] = problem.get("problem", "")
    return sentence(str(problem.get("field", "")), type_, ctx)


def sentences(exc: ValidationError) -> dict[str, str]:
    """{dotted field path: sentence} for every field in `exc`, the first error of each."""
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        out.setdefault(field_of(err["loc"]), sentence(field_of(err["loc"]), err["type"], err.get("ctx")))
    return out
