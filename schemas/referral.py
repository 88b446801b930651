"""The Referral a practitioner submits (contracts.md, "Referral"). Strict: unknown fields are rejected.

Two boundaries read these models (README, "Strict on the wire, tolerant where a person types"):
- the wire: an event read from Kafka is decoded in pydantic's strict mode (services/common/consuming.py) and must
  already be what the exported JSON Schema says: no surrounding white space, nothing past a maxLength, no "5" for 5;
- tolerant input: what a person types (intake's POST and PATCH /referrals, the portal, a person's decision) goes
  through `ReferralInput`/`TolerantInput`, which trims every string first and validates in pydantic's lax mode
  ("5" for year 5, "yes" for true); what it keeps is trimmed, so it is valid on the wire."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.enums import (
    Channel,
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
from schemas.identifiers import NhsNumber, Postcode, Upn  # tolerant in lax mode, canonical on the wire
from schemas.names import WHITE_SPACE, WHITE_SPACE_CLASS, PersonName, Trimmed
from schemas.scalars import WHOLE, Day

LONDON = ZoneInfo("Europe/London")
MAX_AGE_YEARS = 26
YOUNG_PERSON_CONTACT_AGE = 16  # a young person's own contact details are asked for from this age (contract 1.1)
MAX_PARENTS_CARERS = 4


class Strict(BaseModel):
    """Every contract model: unknown fields refused, nothing stripped (a string is what the schema says)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Nodes = list[dict[str, Any]]


def _nodes(node: dict[str, Any] | None, defs: dict[str, Any]) -> Nodes:
    """A JSON Schema node as the concrete nodes a value there may meet ($ref followed, anyOf/oneOf/allOf opened)."""
    if node is None:
        return []
    if "$ref" in node:
        return _nodes(defs.get(node["$ref"].rsplit("/", 1)[-1]), defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            return [n for branch in node[key] for n in _nodes(branch, defs)]
    return [node]


def _too_long(value: str, nodes: Nodes) -> bool:
    """Whether the schema's maxLength here (the most any string branch allows) is less than the string as sent."""
    limits = [n.get("maxLength") for n in nodes if n.get("type") == "string"]
    counted = [limit for limit in limits if isinstance(limit, int)]
    return bool(limits) and len(counted) == len(limits) and len(value) > max(counted)


def trimmed(value: Any, nodes: Nodes | None = None, defs: dict[str, Any] | None = None) -> Any:
    """A person's input with the white space around every string (at any depth) taken away. Given where the value
    stands in the model's JSON Schema (`nodes`, `defs`), a string longer than the schema's maxLength there is left
    as it was sent, so its field refuses it as too long: the document counts the raw string, and so do we."""
    defs = defs or {}
    if isinstance(value, str):
        return value if nodes and _too_long(value, nodes) else value.strip(WHITE_SPACE)
    if isinstance(value, dict):
        return {k: trimmed(v, [m for n in nodes or [] for m in _nodes(n.get("properties", {}).get(k), defs)], defs)
                for k, v in value.items()}
    if isinstance(value, list):
        items = [m for n in nodes or [] if isinstance(n.get("items"), dict) for m in _nodes(n["items"], defs)]
        return [trimmed(v, items, defs) for v in value]
    return value


@cache
def _document(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


class TolerantInput(Strict):
    """Tolerant input (what a person types, never an event): white space around strings is trimmed before
    validation, which callers run in pydantic's lax mode. The result is a valid wire value. A string longer than
    its schema's maxLength as sent is refused, not trimmed to fit (issue 24, item 3); a minimum length is counted
    after trimming."""

    @model_validator(mode="before")
    @classmethod
    def _trim(cls, data: Any) -> Any:
        document = _document(cls)
        defs = document.get("$defs", {})
        return trimmed(data, _nodes(document, defs), defs)


def no_duplicates(values: list[Any]) -> list[Any]:
    """A list validator (with AfterValidator and `Unique`): the same item twice is an error."""
    if len(set(values)) != len(values):
        raise ValueError("must not contain duplicates")
    return values


Unique = Field(json_schema_extra={"uniqueItems": True})  # with AfterValidator(no_duplicates): the schema says it too
Name = PersonName  # every person-name field: see schemas/names.py
Phone = Annotated[str, StringConstraints(max_length=32, pattern=r"^\+?[0-9()\-][0-9 ()\-]{4,30}[0-9()\-]$")]
# A practical address check (one @, a dotted domain, no white space). A full RFC/IDNA check costs ~90 µs a
# referral on the triage hot path and rejects nothing a mail server would accept here.
EMAIL_PATTERN = (
    rf"^[^@{WHITE_SPACE_CLASS}]{{1,64}}@[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$"
)
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]


def age_on(born: date, day: date) -> int:
    """Whole years from `born` to `day`; a 29 February birthday is reached on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def london_day(moment: datetime) -> date:
    """The day `moment` falls on in London; ValueError (a field error, not an OverflowError) for a time at the very
    ends of the calendar that London time cannot show, such as 0001-01-01T00:00:00+01:00."""
    try:
        return moment.astimezone(LONDON).date()
    except (OverflowError, ValueError):
        raise ValueError("must be a time between the years 1 and 9999 in London time") from None


def check_date_of_birth(born: date, as_of: date) -> None:
    """Raise ValueError when `born` is after `as_of` or the person is 26 or over on `as_of`."""
    if born > as_of:
        raise ValueError("must not be in the future")
    if age_on(born, as_of) >= MAX_AGE_YEARS:
        raise ValueError(f"must give an age under {MAX_AGE_YEARS} at submission")


class EducationSetting(Strict):
    urn: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = None
    name: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=200)]
    has_mhst: bool = False
    year_group: Annotated[int, Field(ge=-2, le=14), WHOLE] | None = None


class Child(Strict):
    given_name: Name
    family_name: Name
    date_of_birth: Day
    nhs_number: NhsNumber | None = None
    upn: Upn | None = None
    postcode: Postcode
    education_setting: EducationSetting | None = None
    diagnoses: Annotated[list[Diagnosis], AfterValidator(no_duplicates), Unique] = []
    sen_status: SenStatus = SenStatus.none
    social_care_status: SocialCareStatus = SocialCareStatus.none

    @field_validator("date_of_birth")
    @classmethod
    def _born_plausibly(cls, born: date, info: ValidationInfo) -> date:
        # The submitting path passes the submission day; otherwise only "not in the future" is
        # checkable here (an event's own submitted_at is checked by ReferralSubmitted).
        as_of = (info.context or {}).get("as_of")
        if as_of is not None:
            check_date_of_birth(born, as_of)
        elif born > datetime.now(LONDON).date():
            raise ValueError("must not be in the future")
        return born


class Referrer(Strict):
    name: Name
    role: ReferrerRole
    organisation: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=200)] | None = None
    email: Email | None = None
    phone: Phone | None = None


class Consent(Strict):
    basis: ConsentBasis
    child_aware: bool = False


def _given(info: ValidationInfo, name: str) -> Any:
    """A field validated before this one (None when it was left out or refused)."""
    return info.data.get(name)


def _needed_for(method: ContactMethod) -> Any:
    """A validator for the `phone` or `email` of a contact: given when it is the preferred way of contact (a letter
    goes to the child's home address, which the referral holds only as a postcode, so it needs neither)."""

    def check(value: str | None, info: ValidationInfo) -> str | None:
        if value is None and _given(info, "preferred_contact") == method:
            raise ValueError(f"must be given when {method.value} is the preferred way of contact")
        return value

    return check


def _only_when_they_may_contact(may: bool) -> Any:
    """A validator for a field a parent or carer has exactly when `may_contact` is `may` (a preferred way of contact
    when they may be contacted, a reason when they may not)."""
    when, otherwise = ("", "not ") if may else ("not ", "")

    def check(value: Any, info: ValidationInfo) -> Any:
        may_contact = _given(info, "may_contact")
        if may_contact is may and value is None:
            raise ValueError(f"must be given when they may {when}be contacted")
        if may_contact is (not may) and value is not None:
            raise ValueError(f"must be left out when they may {otherwise}be contacted")
        return value

    return check


def not_given(value: object) -> bool:
    """`exclude_if` of a field new in contract 1.1: left out of what a model writes when not given, so a referral
    (or a service's details) without it is written exactly as contract 1.0 wrote it: the same event, the same
    fingerprint, readable by a 1.0 reader."""
    return value is None


class YoungPersonContact(Strict):
    """The young person's own contact (16 and over): a preference for phone needs a phone number, for email an
    email address; a letter needs neither."""

    preferred_contact: ContactMethod
    phone: Phone | None = Field(None, validate_default=True)
    email: Email | None = Field(None, validate_default=True)

    _phone = field_validator("phone")(_needed_for(ContactMethod.phone))
    _email = field_validator("email")(_needed_for(ContactMethod.email))


class ParentCarer(Strict):
    """Someone to contact about the child. When they may be contacted: how they prefer it (and that way's details,
    as for the young person's own contact). When they may not: why (required), and no preferred way."""

    name: Name
    relationship: Relationship
    parental_responsibility: bool
    may_contact: bool
    do_not_contact_reason: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None, validate_default=True, description="Why they must not be contacted: required when may_contact is false")
    preferred_contact: ContactMethod | None = Field(
        None, validate_default=True, description="Required when may_contact is true")
    phone: Phone | None = Field(None, validate_default=True)
    email: Email | None = Field(None, validate_default=True)
    interpreter_language: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="The language an interpreter is needed for; absent when none is needed")

    _reason = field_validator("do_not_contact_reason")(_only_when_they_may_contact(False))
    _preferred = field_validator("preferred_contact")(_only_when_they_may_contact(True))
    _phone = field_validator("phone")(_needed_for(ContactMethod.phone))
    _email = field_validator("email")(_needed_for(ContactMethod.email))


def check_young_person_contact(born: date, contact: YoungPersonContact | None, as_of: date) -> None:
    """Raise ValueError when the referral gives the young person's own contact and they are under 16 on `as_of`."""
    if contact is not None and age_on(born, as_of) < YOUNG_PERSON_CONTACT_AGE:
        raise ValueError(f"must be left out for a child under {YOUNG_PERSON_CONTACT_AGE} at submission")


class Referral(Strict):
    """One referral for one child. `reason` and `voice_of_child` are free text: never logged."""

    client_reference: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=64)] | None = None
    channel: Channel
    child: Child
    referrer: Referrer
    consent: Consent
    reason: Annotated[str, Trimmed, StringConstraints(min_length=20, max_length=5000)]
    concerns: Annotated[list[Concern], Field(min_length=1), AfterValidator(no_duplicates), Unique]
    impact: Impact
    duration: Duration
    risks: Annotated[list[Risk], AfterValidator(no_duplicates), Unique] = []
    known_services: Annotated[list[KnownService], AfterValidator(no_duplicates), Unique] = []
    voice_of_child: Annotated[str, Trimmed, StringConstraints(max_length=5000)] | None = None
    # contract 1.1: who to contact about the child
    parents_carers: Annotated[list[ParentCarer], Field(max_length=MAX_PARENTS_CARERS)] | None = Field(
        None, exclude_if=not_given,
        description="Who to contact about the child (contract 1.1). A service receives it only where the ruleset's "
                    "`sharing` list for it names it.")
    young_person_contact: YoungPersonContact | None = Field(
        None, exclude_if=not_given,
        description=f"The young person's own contact (contract 1.1): only for a child aged {YOUNG_PERSON_CONTACT_AGE} "
                    "or over at submission.")

    @field_validator("young_person_contact")
    @classmethod
    def _sixteen_or_over(cls, contact: YoungPersonContact | None, info: ValidationInfo) -> YoungPersonContact | None:
        # As the child's date of birth: on the submission day where the submitting path gives it, otherwise today
        # (a child under 16 today was under 16 on any earlier day); an event checks its own submitted_at.
        child = _given(info, "child")
        if child is not None:
            as_of = (info.context or {}).get("as_of") or datetime.now(LONDON).date()
            check_young_person_contact(child.date_of_birth, contact, as_of)
        return contact


class ReferralInput(TolerantInput, Referral):
    """Tolerant input: a referral as a person (or their system) sends it to intake. Strings are trimmed and the
    values validated in lax mode; the referral it makes is valid on the wire."""

    # "Make a referral from this" advice: the advice request's id. Intake keeps it on its own record; it is no part
    # of the referral (never dumped, so never stored in the referral or sent on the wire).
    advice_request_id: UUID | None = Field(default=None, exclude=True)
