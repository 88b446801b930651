"""The register's rating as the policy suggests it for what is known of a person outside a referral (a person
added to the register directly): the first of the ruleset's `dsr.ratings` rules that holds, every fact not known
set to a neutral value (no count, no flag, no value, an empty set)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.policy.facts import FACT_TYPES
from services.policy.ruleset.compiled import Ruleset
from services.policy.state import State

NEUTRAL: dict[str, Any] = {"int": 0, "bool": False, "enum": None, "set": frozenset()}  # by facts.FACT_TYPES kind


def suggested_dsr_rating(ruleset: Ruleset, known: Mapping[str, Any]) -> str | None:
    """The rating of the first `dsr.ratings` rule that holds for the `known` facts (None: none holds)."""
    facts: dict[str, Any] = {name: NEUTRAL[kind] for name, (kind, _) in FACT_TYPES.items()} | dict(known)
    state = State(facts=facts)
    rule = next((r for r in ruleset.dsr_ratings if r.test(state)), None)
    return rule.value if rule is not None and rule.value else None
