"""What the services' read side answers (issue 21, item 4): the Pydantic models of their JSON, declared as each
route's `response_model`, shown in the OpenAPI documents, and read by the portal and its tests' stand-ins."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter


class View(BaseModel):
    """An answer's shape: a key it does not name is refused, so a view that changes shape fails its model. A key
    a view leaves out (an optional field not set) stays out of the JSON: the routes answer `exclude_unset`."""

    model_config = ConfigDict(extra="forbid")


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def shown(shape: Any, data: dict[str, Any]) -> dict[str, Any]:
    """`data` checked against `shape` (a view, or a union of them) and given back as the JSON its route answers:
    the keys it was given, nothing added. A shape it does not fit raises pydantic's ValidationError."""
    adapter = _adapter(shape)
    answer: dict[str, Any] = adapter.dump_python(adapter.validate_python(data), mode="json", by_alias=True,
                                                 exclude_unset=True)
    return answer
