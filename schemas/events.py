"""Event payloads on the bus (contracts.md, "Events" and "TriageDecision"). Key = child_id."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.enums import DsrChangeType, DsrConsent, DsrRating, DsrSource, Outcome, OutcomeEventType, Priority, Service
from schemas.identifiers import CanonicalNhsNumber, CanonicalPostcode
from schemas.names import PersonName, Trimmed
from schemas.referral import (
    ParentCarer,
    Referral,
    Strict,
    YoungPersonContact,
    check_date_of_birth,
    check_young_person_contact,
    london_day,
    not_given,
)
from schemas.scalars import WHOLE, Day, Whole
from schemas.wire import Instant, Pathway, RuleId, Text, Uuid

SCHEMA_VERSION = 1  # the envelope's schema_version: the major version, raised only by a change a reader must act on
# 1.1: who to contact about the child (Referral.parents_carers, young_person_contact); 1.2: who did it, by name
# (ServiceOutcome.by_name, DsrChanged.by_name, OverrideRequested and TriageOverridden's decided_by_name; all optional)
# 1.3: who holds a piece of work (referral.assigned on the decisions topic, service_request.assigned on the outcomes
# topic) and that a case note was written (referral.note_added, service_request.note_added, dsr.note_added): new
# event types on existing topics, so a reader that does not know them must pass them by (never dead-letter them)
# 1.4: the documents say what was always written and read (issue 24): every payload requires its event_type (a const)
# and schema_version, a channel of several messages has a discriminator; the CloudEvents Kafka binding's ce_* headers
# beside today's; servers, bindings and an example per message in the AsyncAPI document
CONTRACT_VERSION = "1.4.0"
# On every record, though the models default them for a Python producer: every payload schema requires them
# (services/contracts.py) and so does the wire decoder (services/common/consuming.py).
WRITTEN_ALWAYS = ("event_type", "schema_version")
TOPIC_SUBMITTED = "frontdoor.referrals.submitted"
TOPIC_DECISIONS = "frontdoor.triage.decisions"
TOPIC_OUTCOMES = "frontdoor.service.outcomes"
TOPIC_DSR_CHANGES = "frontdoor.dsr.changes"
TOPIC_CHILDREN = "frontdoor.children"  # a person found two child records to be one child (or undid it)


def queue_topic(service: Service | str) -> str:
    """The topic a service's requests are published to."""
    return f"frontdoor.queue.{Service(service).value}"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


class Envelope(Strict):
    """Carried by every event. `event_id` is the idempotency key for every consumer."""

    event_id: Uuid
    schema_version: Annotated[int, Field(ge=1), WHOLE] = SCHEMA_VERSION
    occurred_at: Instant
    correlation_id: Uuid | None = None


class History(Strict):
    prior_referrals_365d: Annotated[int, Field(ge=0), WHOLE] = 0
    open_services: list[Service] = []
    safeguarding_pending: bool = Field(False, description=(
        "MASH has yet to decide about this child (its safeguarding request waits, or a request is still held "
        "for it): every request this event makes waits for MASH too, bar the ruleset's hold exemptions"))


def _born_by_submission(cls: type, referral: Referral, info: ValidationInfo) -> Referral:
    """The child was born by the day of `submitted_at` and is under 26 on it, and 16 or over if the referral gives
    their own contact (a field error on `referral`; nothing to check when `submitted_at` itself was refused)."""
    submitted = info.data.get("submitted_at")
    if submitted is not None:
        day = london_day(submitted)
        check_date_of_birth(referral.child.date_of_birth, day)
        check_young_person_contact(referral.child.date_of_birth, referral.young_person_contact, day)
    return referral


class ReferralSubmitted(Envelope):
    event_type: Literal["referral.submitted"] = "referral.submitted"
    referral_id: Uuid
    child_id: Uuid
    submitted_at: Instant
    referral: Referral
    history: History = History()

    _age_at_submission = field_validator("referral")(_born_by_submission)


class Redirect(Strict):
    from_service: Service
    from_request_id: Uuid
    to_service: Service
    reason: Annotated[str, Trimmed, StringConstraints(max_length=2000)] | None = None


class ReferralRedirected(Envelope):
    """A service redirected its request: triage decides again for the target service only.
    Published by intake on the referrals topic (same key, so it follows the child's referrals)."""

    event_type: Literal["referral.redirected"] = "referral.redirected"
    referral_id: Uuid
    child_id: Uuid
    submitted_at: Instant
    referral: Referral
    history: History = History()
    redirect: Redirect

    _age_at_submission = field_validator("referral")(_born_by_submission)


class Explanation(Strict):
    rule_id: RuleId
    because: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=500)]


class Route(Strict):
    service: Service
    pathway: Pathway
    priority: Priority
    due_by: Instant
    held: bool = False
    reasons: list[RuleId]
    service_request_id: Uuid | None = Field(None, description="id of the service_request.created event's request")


class DsrPerson(Strict):
    """Who a DSR candidate is: only on decisions with `dsr.candidate` true, for the register."""

    given_name: PersonName
    family_name: PersonName
    date_of_birth: Day
    nhs_number: CanonicalNhsNumber | None = None
    has_ehcp: bool = False


class DsrSuggestion(Strict):
    candidate: bool
    suggested_rating: DsrRating | None = None
    consent: DsrConsent | None = None
    reasons: list[RuleId] = []
    person: DsrPerson | None = None


class TriageDecision(Strict):
    referral_id: Uuid
    child_id: Uuid
    decided_at: Instant
    ruleset_version: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=100)]
    outcome: Outcome
    routes: list[Route]
    missing: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]]
    dsr: DsrSuggestion
    explanation: list[Explanation]


class TriageDecided(Envelope, TriageDecision):
    event_type: Literal["triage.decided"] = "triage.decided"
    redirect_of: Uuid | None = Field(
        None, description="set when this decides a redirect: the redirected request; only `routes` is new"
    )


class RouteChange(Strict):
    """One change a person on the front door makes to a decision."""

    kind: Literal["add_route", "withdraw_route", "change_priority", "close"]
    service: Service | None = Field(None, description="add_route: the service")
    pathway: Pathway | None = Field(None, description="add_route: the pathway")
    priority: Priority | None = Field(None, description="add_route and change_priority: the priority")
    service_request_id: Uuid | None = Field(None, description="withdraw_route and change_priority: the request")
    signpost: Annotated[str, Trimmed, StringConstraints(min_length=3, max_length=500)] | None = Field(
        None, description="close: where the family is pointed instead"
    )

    @model_validator(mode="after")
    def _complete(self) -> RouteChange:
        needs = {"add_route": ("service", "pathway", "priority"), "withdraw_route": ("service_request_id",),
                 "change_priority": ("service_request_id", "priority"), "close": ("signpost",)}[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.kind} needs {', '.join(missing)}")
        return self


Rationale = Annotated[str, Trimmed, StringConstraints(min_length=10, max_length=4000)]
Person = Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=200)]
PERSONS_NAME = ("The display name of the person who did it (their identity provider's `name` claim), shown to people "
                "with their team; absent when their token had none, and from events written before it was sent")


class OverrideRequested(Envelope):
    """A person's decision on a referral, sent by intake on `frontdoor.referrals.submitted` (same key) for
    triage to apply with the ruleset's clock and sharing rules. `current` is the decision in force, its
    routes being the requests still open."""

    event_type: Literal["referral.override_requested"] = "referral.override_requested"
    referral_id: Uuid
    child_id: Uuid
    submitted_at: Instant
    referral: Referral
    current: TriageDecision
    supersedes: Uuid = Field(description="the event id of the decision this corrects")
    decided_by: Person
    decided_by_name: Person | None = Field(None, description=PERSONS_NAME, exclude_if=not_given)
    rationale: Rationale
    disagreed_with: list[RuleId] = []
    changes: list[RouteChange] = Field(min_length=1)
    history: History = History()

    _age_at_submission = field_validator("referral")(_born_by_submission)


class TriageOverridden(Envelope, TriageDecision):
    """A TriageDecision made by a person (contracts.md): downstream it is treated as triage's own."""

    event_type: Literal["triage.overridden"] = "triage.overridden"
    decided_by: Person
    decided_by_name: Person | None = Field(None, description=PERSONS_NAME, exclude_if=not_given)
    supersedes: Uuid = Field(description="the event id of the decision it corrects")
    rationale: Rationale
    disagreed_with: list[RuleId] = []
    changes: list[RouteChange] = Field(min_length=1)
    signpost: Annotated[str, Trimmed, StringConstraints(max_length=500)] | None = None


class EmergencyUnanswered(Envelope):
    """An emergency with no recorded contact by its clock, on `frontdoor.triage.decisions`."""

    event_type: Literal["referral.emergency_unanswered"] = "referral.emergency_unanswered"
    referral_id: Uuid
    child_id: Uuid
    due_by: Instant


class ChildMerged(Envelope):
    """Two child records are one child: `merged_id`'s referrals and requests now belong to `survivor_id`.
    On `frontdoor.children`, key = merged_id (a merge and its undo stay in order)."""

    event_type: Literal["child.merged"] = "child.merged"
    merge_id: Uuid
    survivor_id: Uuid
    merged_id: Uuid
    referral_ids: list[Uuid] = Field(description="the referrals moved to survivor_id")
    service_request_ids: list[Uuid] = Field(description="the service requests moved to survivor_id")
    held_request_ids: list[Uuid] = Field([], description=(
        "requests of survivor_id that wait for MASH from now on: MASH has yet to decide about the child, and "
        "they were made when the records were apart"))


class ChildUnmerged(Envelope):
    """A merge undone: exactly these referrals and requests go back from `survivor_id` to `merged_id`.
    On `frontdoor.children`, key = merged_id."""

    event_type: Literal["child.unmerged"] = "child.unmerged"
    merge_id: Uuid
    survivor_id: Uuid
    merged_id: Uuid
    referral_ids: list[Uuid] = Field(description="the referrals moved back to merged_id")
    service_request_ids: list[Uuid] = Field(description="the service requests moved back to merged_id")
    released_request_ids: list[Uuid] = Field([], description=(
        "requests the merge held for MASH that no longer wait: their own child has no undecided MASH request"))


class ServiceRequestCreated(Envelope):
    """One route of a decision, on `frontdoor.queue.<service>`. `details` holds only what that service needs."""

    event_type: Literal["service_request.created"] = "service_request.created"
    service_request_id: Uuid
    referral_id: Uuid
    child_id: Uuid
    service: Service
    pathway: Pathway
    priority: Priority
    due_by: Instant
    held: bool
    reasons: list[Explanation]
    details: ServiceDetails


class ServiceDetails(Strict):
    """The referral fields a service receives; which ones each service gets is decided in the ruleset."""

    given_name: PersonName | None = None
    family_name: PersonName | None = None
    date_of_birth: Text | None = None
    nhs_number: CanonicalNhsNumber | None = None
    postcode: CanonicalPostcode | None = None
    education_setting_name: Text | None = None
    year_group: Whole | None = None
    diagnoses: list[Text] | None = None
    sen_status: Text | None = None
    social_care_status: Text | None = None
    referrer_name: PersonName | None = None
    referrer_role: Text | None = None
    referrer_organisation: Text | None = None
    referrer_email: Text | None = None
    referrer_phone: Text | None = None
    consent_basis: Text | None = None
    child_aware: bool | None = None
    reason: Text | None = None
    concerns: list[Text] | None = None
    risks: list[Text] | None = None
    impact: Text | None = None
    duration: Text | None = None
    known_services: list[Text] | None = None
    voice_of_child: Text | None = None
    # contract 1.1: who to contact about the child (absent, not null, where the service's sharing list leaves them out)
    parents_carers: list[ParentCarer] | None = Field(None, exclude_if=not_given)
    young_person_contact: YoungPersonContact | None = Field(None, exclude_if=not_given)


ServiceRequestCreated.model_rebuild()


class DsrChanged(Envelope):
    """A change to the Dynamic Support Register, on `frontdoor.dsr.changes`. Ids and states only."""

    event_type: DsrChangeType
    entry_id: Uuid
    child_id: Uuid
    status: Annotated[str, Trimmed, StringConstraints(max_length=20)]
    rating: DsrRating | None = None
    suggested_rating: DsrRating | None = None
    escalation_suggested: bool = False
    next_review_due: Day | None = None
    by: Annotated[str, Trimmed, StringConstraints(max_length=200)] | None = None
    by_name: Person | None = Field(None, description=PERSONS_NAME, exclude_if=not_given)
    source: DsrSource | None = Field(
        None, description="How the person reached the register: `triage` (a children's referral) or `direct` "
                          "(added directly, any age). Absent from events written before the register was all-age.")


class ServiceOutcome(Envelope):
    """What a service did with a request, on `frontdoor.service.outcomes`."""

    event_type: OutcomeEventType
    service_request_id: Uuid
    referral_id: Uuid
    child_id: Uuid
    service: Service
    by: Annotated[str, Trimmed, StringConstraints(min_length=1, max_length=200)]
    by_name: Person | None = Field(None, description=PERSONS_NAME, exclude_if=not_given)
    reason: Annotated[str, Trimmed, StringConstraints(max_length=2000)] | None = None
    redirect_to: Service | None = None
    signpost: Annotated[str, Trimmed, StringConstraints(max_length=500)] | None = Field(
        None, description="where a declined request's family is pointed"
    )
    pathway: Pathway | None = None
    due_by: Instant | None = None


Team = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
ASSIGNMENT_CHANGES = ("picked_up", "taken_over", "given", "handed_over", "unassigned")


class Assignment(Strict):
    """Who holds a piece of work (a front-door queue item or a service request) after a change: one person of
    `team`, or nobody (`unassigned`). `taken_over`: picked up from a colleague who held it (they were asked to
    confirm); `given`: to a named colleague; `handed_over`: one of several given at once (leave, shift change)."""

    team: Team = Field(description="`front_door`, or the service whose request it is")
    change: Literal["picked_up", "taken_over", "given", "handed_over", "unassigned"]
    assigned_to: Person | None = Field(None, description=(
        "who holds it now: their login id (the token's subject); absent when `unassigned`"))
    assigned_to_name: Person | None = Field(None, description="The display name of who holds it now, shown to "
                                            "people; absent when their token had none", exclude_if=not_given)
    previously_assigned_to: Person | None = Field(None, description="who held it before, if anyone (login id)")
    by: Person
    by_name: Person | None = Field(None, description=PERSONS_NAME, exclude_if=not_given)

    @model_validator(mode="after")
    def _someone_unless_unassigned(self) -> Assignment:
        if (self.change == "unassigned") != (self.assigned_to is None):
            raise ValueError("assigned_to is absent exactly when the change is `unassigned`")
        if self.assigned_to_name is not None and self.assigned_to is None:
            raise ValueError("assigned_to_name needs assigned_to")
        return self


class ReferralAssigned(Envelope, Assignment):
    """Who holds a referral on the front door's queue, on `frontdoor.triage.decisions` (key child_id)."""

    event_type: Literal["referral.assigned"] = "referral.assigned"
    referral_id: Uuid
    child_id: Uuid


class ServiceRequestAssigned(Envelope, Assignment):
    """Who in the service holds a request, on `frontdoor.service.outcomes` (key child_id), beside what the service
    did with it."""

    event_type: Literal["service_request.assigned"] = "service_request.assigned"
    service_request_id: Uuid
    referral_id: Uuid
    child_id: Uuid
    service: Service


class NoteWritten(Strict):
    """A case note was written. Ids only: the note's words stay with the service that holds the thing, readable
    through its API by the roles that may read the thing itself (a note is personal data)."""

    note_id: Uuid
    child_id: Uuid
    team: Team = Field(description="the writer's team: `front_door`, a service, or `dsr_panel`")
    by: Person
    by_name: Person | None = Field(None, description=PERSONS_NAME, exclude_if=not_given)


class ReferralNoteAdded(Envelope, NoteWritten):
    """A note on a referral on the front door's queue, on `frontdoor.triage.decisions`."""

    event_type: Literal["referral.note_added"] = "referral.note_added"
    referral_id: Uuid


class ServiceRequestNoteAdded(Envelope, NoteWritten):
    """A note on a service request, on `frontdoor.service.outcomes`."""

    event_type: Literal["service_request.note_added"] = "service_request.note_added"
    service_request_id: Uuid
    referral_id: Uuid
    service: Service


# Who holds a piece of work and its notes, on the topics other events share: each consumer of those topics names them
# (services.common.consuming dead-letters a type it was not told about).
WORK_ON_DECISIONS: tuple[type[Envelope], ...] = (ReferralAssigned, ReferralNoteAdded)
WORK_ON_OUTCOMES: tuple[type[Envelope], ...] = (ServiceRequestAssigned, ServiceRequestNoteAdded)


class DsrNoteAdded(Envelope, NoteWritten):
    """A note on a register entry, on `frontdoor.dsr.changes` (key child_id, as the register's other changes)."""

    event_type: Literal["dsr.note_added"] = "dsr.note_added"
    entry_id: Uuid
