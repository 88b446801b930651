"""The ruleset in force: RULESET_PATH's file (unset: the reference ruleset), read, checked and compiled once
per path, for a service that asks the policy a question outside a decision (e.g. intake: which requests wait
for MASH after a merge of child records)."""

from __future__ import annotations

from functools import cache

from services.common.settings import Settings
from services.policy.ruleset.compiled import Ruleset
from services.policy.ruleset.load import load_ruleset


def in_force() -> Ruleset:
    path = Settings().ruleset_path
    return _compiled(str(path) if path else None)


@cache
def _compiled(path: str | None) -> Ruleset:
    return load_ruleset(path)
