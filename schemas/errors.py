"""Validation problems as plain field/problem pairs that never quote the input (it may be personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from schemas.names import TRIMMED

# Patterns with a meaning a person can read (the regex itself says nothing to them).
PATTERN_WORDS = {TRIMMED: "must not start or end with white space"}
LIMITS = frozenset({"min_length", "max_length", "ge", "gt", "le", "lt", "multiple_of", "max_digits",
                    "decimal_places"})


def context(err: Mapping[str, Any]) -> dict[str, Any]:
    """What of an error's ctx a message needs: its limits (numbers: min_length, ge, ...); never a pattern, an
    expected list or a value. (A validator's own message is the problem itself.)"""
    return {k: v for k, v in (err.get("ctx") or {}).items()
            if k in LIMITS and isinstance(v, (int, float)) and not isinstance(v, bool)}


def problem(field: str, message: str, err: Mapping[str, Any]) -> dict[str, Any]:
    """One problem as the 422 body has it: where, what in words, and (for a program, such as the portal looking up
    its sentence in schemas.messages) pydantic's error `type` and its `ctx` (see `context`)."""
    found: dict[str, Any] = {"field": field, "problem": message, "type": err["type"]}
    ctx = context(err)
    if ctx:
        found["ctx"] = ctx
    return found


def problems(exc: ValidationError) -> list[dict[str, Any]]:
    """Every problem in `exc`, one per field, without the offending values."""
    out: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "(body)"
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            message = "is not a field of this form"
        elif err["type"] == "union_tag_invalid":
            message = "is not one of the allowed kinds"
        elif err["type"] == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") in PATTERN_WORDS:
            message = PATTERN_WORDS[err["ctx"]["pattern"]]
        out.append(problem(field, message, err))
    return out


def summary(exc: ValidationError, limit: int = 500) -> str:
    """One line for a DLQ header or a log: field names and problem types only."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['type']}" for e in errors]
    return f"ValidationError: {'; '.join(parts)}"[:limit]
