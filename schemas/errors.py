"""Validation problems as plain field/problem pairs that never quote the input (it may be personal data)."""

from __future__ import annotations

from pydantic import ValidationError

from schemas.names import TRIMMED

# Patterns with a meaning a person can read (the regex itself says nothing to them).
PATTERN_WORDS = {TRIMMED: "must not start or end with white space"}


def problems(exc: ValidationError) -> list[dict[str, str]]:
    """Every problem in `exc`, one per field, without the offending values."""
    out: list[dict[str, str]] = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "(body)"
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            message = "is not a field of this form"
        elif err["type"] == "union_tag_invalid":
            message = "is not one of the allowed kinds"
        elif err["type"] == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") in PATTERN_WORDS:
            message = PATTERN_WORDS[err["ctx"]["pattern"]]
        out.append({"field": field, "problem": message})
    return out


def summary(exc: ValidationError, limit: int = 500) -> str:
    """One line for a DLQ header or a log: field names and problem types only."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['type']}" for e in errors]
    return f"ValidationError: {'; '.join(parts)}"[:limit]
