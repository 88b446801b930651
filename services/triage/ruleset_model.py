"""The shape of a ruleset file (YAML or JSON). Its JSON Schema is exported to schemas/json/ruleset.schema.json.

Conditions and actions are one-key mappings, e.g. `{intersects: {fact: risks, group: EMERGENCY}}` or
`{route: {service: semh, pathway: crisis, priority: emergency}}`, so a front-door manager can read them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

from schemas.enums import DsrConsent, DsrRating, Outcome, Priority, Service

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.\-]{0,79}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]
Because = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Scalar = Union[bool, int, str]


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _key(value: Any) -> str | None:
    """The tag of a one-key mapping (ignoring an action's own `when`)."""
    if isinstance(value, dict):
        keys = [k for k in value if k != "when"]
        return keys[0] if len(keys) == 1 else None
    return getattr(value, "TAG", None)


class FactValue(Node):
    fact: Name
    value: Scalar


class FactValues(Node):
    fact: Name
    values: list[Scalar] = Field(min_length=1)


class SetTest(Node):
    """True when the fact's set shares a member with the group (or values), less any `except` members."""

    fact: Name
    group: Name | None = None
    values: list[str] | None = None
    except_: list[str] = Field(default=[], alias="except")


class RouteSelector(Node):
    services: list[Service] | None = None
    pathways: list[str] | None = None
    held: bool | None = None
    exclude_priorities: list[Priority] = []


class AllOf(Node):
    TAG: ClassVar[str] = "all"
    all: list[Condition] = Field(min_length=1)


class AnyOf(Node):
    TAG: ClassVar[str] = "any"
    any: list[Condition] = Field(min_length=1)


class NotOf(Node):
    TAG: ClassVar[str] = "not"
    not_: Condition = Field(alias="not")


class Intersects(Node):
    TAG: ClassVar[str] = "intersects"
    intersects: SetTest


class Contains(Node):
    TAG: ClassVar[str] = "contains"
    contains: FactValue


class Eq(Node):
    TAG: ClassVar[str] = "eq"
    eq: FactValue


class In(Node):
    TAG: ClassVar[str] = "in"
    in_: FactValues = Field(alias="in")


class Lt(Node):
    TAG: ClassVar[str] = "lt"
    lt: FactValue


class Le(Node):
    TAG: ClassVar[str] = "le"
    le: FactValue


class Gt(Node):
    TAG: ClassVar[str] = "gt"
    gt: FactValue


class Ge(Node):
    TAG: ClassVar[str] = "ge"
    ge: FactValue


class Fired(Node):
    TAG: ClassVar[str] = "fired"
    fired: RuleId


class HasRoute(Node):
    TAG: ClassVar[str] = "has_route"
    has_route: RouteSelector


class Is(Node):
    TAG: ClassVar[str] = "is"
    is_: Name = Field(alias="is")


class Always(Node):
    TAG: ClassVar[str] = "always"
    always: Literal[True]


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
        Annotated[Intersects, Tag("intersects")],
        Annotated[Contains, Tag("contains")],
        Annotated[Eq, Tag("eq")],
        Annotated[In, Tag("in")],
        Annotated[Lt, Tag("lt")],
        Annotated[Le, Tag("le")],
        Annotated[Gt, Tag("gt")],
        Annotated[Ge, Tag("ge")],
        Annotated[Fired, Tag("fired")],
        Annotated[HasRoute, Tag("has_route")],
        Annotated[Is, Tag("is")],
        Annotated[Always, Tag("always")],
    ],
    Discriminator(
        _key,
        custom_error_type="condition",
        custom_error_message="unknown condition: use one of all, any, not, intersects, contains, eq, in, lt, le,"
        " gt, ge, fired, has_route, is, always",
    ),
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
        _key,
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


for _model in (AllOf, AnyOf, NotOf, MissingAction, Rule, RulesetFile, DsrRule, Dsr):
    _model.model_rebuild()
