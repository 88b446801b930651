"""The conditions of a ruleset file: one-key mappings such as `{intersects: {fact: risks, group: EMERGENCY}}` or
`{all: [...]}`, and the names and values they use. Part of the ruleset file's shape (ruleset_model.py)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

from schemas.enums import Priority, Service

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.\-]{0,79}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]
Because = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Scalar = Union[bool, int, str]


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def one_key_tag(value: Any) -> str | None:
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
        one_key_tag,
        custom_error_type="condition",
        custom_error_message="unknown condition: use one of all, any, not, intersects, contains, eq, in, lt, le,"
        " gt, ge, fired, has_route, is, always",
    ),
]


for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()
