"""The shape of a ruleset file (YAML or JSON). Its JSON Schema is exported to schemas/json/ruleset.schema.json.

Conditions and actions are one-key mappings, e.g. `{intersects: {fact: risks, group: EMERGENCY}}` or
`{route: {service: semh, pathway: crisis, priority: emergency}}`, so a front-door manager can read them.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Discriminator, Field, StringConstraints, Tag

from schemas.enums import DsrConsent, DsrRating, Outcome, Priority, Service

# The conditions live in ruleset_conditions.py; they are part of the file's shape, so they are re-exported here.
from services.policy.ruleset_conditions import (
    AllOf,
    Always,
    AnyOf,
    Because,
    Condition,
    Contains,
    Eq,
    FactValue,
    FactValues,
    Fired,
    Ge,
    Gt,
    HasRoute,
    In,
    Intersects,
    Is,
    Le,
    Lt,
    Name,
    Node,
    NotOf,
    RouteSelector,
    RuleId,
    Scalar,
    SetTest,
    one_key_tag,
)

# The conditions are part of the file's shape: readers find them here too (m.AllOf, m.Intersects, ...).
__all__ = [
    "AllOf",
    "Always",
    "AnyOf",
    "Because",
    "Condition",
    "Contains",
    "Eq",
    "FactValue",
    "FactValues",
    "Fired",
    "Ge",
    "Gt",
    "HasRoute",
    "In",
    "Intersects",
    "Is",
    "Le",
    "Lt",
    "Name",
    "Node",
    "NotOf",
    "RouteSelector",
    "RuleId",
    "Scalar",
    "SetTest",
]


class RouteSpec(Node):
    service: Service
    pathway: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    priority: Priority


class RouteAction(Node):
    TAG: ClassVar[str] = "route"
    route: RouteSpec


class MissingAction(Node):
    """Add an item to `missing`; with `when`, only if that also holds."""

    TAG: ClassVar[str] = "missing"
    missing: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    when: Condition | None = None


class SetAction(Node):
    TAG: ClassVar[str] = "set"
    set: dict[Name, str]


class HoldOthersAction(Node):
    """Hold every route created after this one, bar the exemptions under `hold` (pending MASH)."""

    TAG: ClassVar[str] = "hold_others"
    hold_others: Literal[True]


class HaltAction(Node):
    """Skip every later stage (the DSR step and due dates still run)."""

    TAG: ClassVar[str] = "halt"
    halt: Literal[True]


class OutcomeAction(Node):
    TAG: ClassVar[str] = "outcome"
    outcome: Outcome


class BoostAction(Node):
    """Record a reason to raise routes one level (applied once, at the end of the stage)."""

    TAG: ClassVar[str] = "boost"
    boost: Literal[True]


class DropRoutesAction(Node):
    TAG: ClassVar[str] = "drop_routes"
    drop_routes: RouteSelector


Action = Annotated[
    Union[
        Annotated[RouteAction, Tag("route")],
        Annotated[MissingAction, Tag("missing")],
        Annotated[SetAction, Tag("set")],
        Annotated[HoldOthersAction, Tag("hold_others")],
        Annotated[HaltAction, Tag("halt")],
        Annotated[OutcomeAction, Tag("outcome")],
        Annotated[BoostAction, Tag("boost")],
        Annotated[DropRoutesAction, Tag("drop_routes")],
    ],
    Discriminator(
        one_key_tag,
        custom_error_type="action",
        custom_error_message="unknown action: use one of route, missing, set, hold_others, halt, outcome, boost,"
        " drop_routes",
    ),
]


class Rule(Node):
    id: RuleId
    when: Condition = Always(always=True)
    then: list[Action] = []
    because: Because


class Stage(Node):
    id: Name
    mode: Literal["all", "first"] = Field(description="all: every matching rule fires; first: only the first match")
    rules: list[Rule] = Field(min_length=1)


class FallThroughRule(Node):
    """The rule for a referral no other rule decides: nothing sent anywhere, nothing asked for, no outcome set. A
    person on the front door decides (outcome manual review: a referral is never dropped), and this rule's `because`
    goes into the decision's explanation like any other rule's, so that decision says why too."""

    id: RuleId
    because: Because


class Variable(Node):
    values: list[str] = Field(min_length=1)
    default: str


class Clock(Node):
    hours: Annotated[int, Field(ge=1, le=720)] | None = None
    working_days: Annotated[int, Field(ge=1, le=365)] | None = None


class Due(Node):
    time: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "17:00"
    timezone: str = "Europe/London"
    holidays_country: str = "GB"
    holidays_subdivision: str | None = "ENG"
    default: dict[Priority, Clock]
    services: dict[Service, dict[Priority, Clock]] = {}


class Hold(Node):
    exempt_services: list[Service] = []
    exempt_priorities: list[Priority] = []


class Boost(Node):
    exempt_services: list[Service] = []
    raise_: dict[Priority, Priority] = Field(alias="raise")


class DsrRule(Node):
    id: RuleId
    when: Condition = Always(always=True)
    because: Because


class DsrRatingRule(DsrRule):
    rating: DsrRating


class DsrConsentRule(DsrRule):
    consent: DsrConsent


class Dsr(Node):
    candidate: DsrRule
    ratings: list[DsrRatingRule] = Field(min_length=1, description="first that applies")
    consent: list[DsrConsentRule] = Field(min_length=1, description="first that applies")


class AdviceService(Node):
    """The concerns whose advice requests also go to this service's advice list."""

    service: Service
    concerns: list[str] = Field(min_length=1, description="concern names (schemas.enums.Concern)")


class Advice(Node):
    """Advice without a formal referral: how soon a question is answered, and which service's advice list a
    request goes to by its concerns (exactly one service: that one as well as the front door; else the front
    door only)."""

    answer_within_working_days: Annotated[int, Field(ge=1, le=365)] = Field(
        description="working days after the day asked (London) by which an answer is due")
    services: list[AdviceService] = []


DEFAULT_ADVICE = Advice(answer_within_working_days=5)


class RulesetFile(Node):
    """A triage ruleset: everything the policy decides, as data."""

    ruleset: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    version: Annotated[str, StringConstraints(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")]
    description: str = ""
    services: list[Service] = Field(min_length=1, description="route order on a decision")
    groups: dict[Name, list[str]] = {}
    variables: dict[Name, Variable] = {}
    conditions: dict[Name, Condition] = Field(default={}, description="named conditions, used as {is: name}")
    stages: list[Stage] = Field(min_length=1)
    fall_through: FallThroughRule = Field(description="the rule for a referral no stage's rule sends anywhere or asks"
                                          " about: a person on the front door decides, and its `because` says why")
    hold: Hold = Hold()
    boost: Boost
    due: Due
    dsr: Dsr
    sharing: dict[Service, list[str]] = Field(description="referral details each service's queue receives")
    redirects: dict[Service, Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]] = Field(
        description="pathway a redirected request takes at a service when the policy itself routes nowhere there"
    )
    advice: Advice = Field(default=DEFAULT_ADVICE, description="advice requests: their service level and the"
                           " service each request's concerns point to (optional: 5 working days, no service lists)")


for _model in (MissingAction, Rule, RulesetFile, DsrRule, Dsr):
    _model.model_rebuild()
