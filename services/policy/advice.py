"""The advice routing, as the policy answers it from the ruleset's `advice` section: the service level for an
answer, and the one service whose advice list a request's concerns point to (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.policy.ruleset.compiled import Ruleset

DEFAULT_WORKING_DAYS = 5


@dataclass(frozen=True)
class AdvicePolicy:
    """The ruleset's advice section: the service level and, per concern, the service whose list it goes to."""

    answer_within_working_days: int = DEFAULT_WORKING_DAYS
    service_of: Mapping[str, str] = field(default_factory=dict)


def service_for(concerns: Iterable[str], policy: AdvicePolicy) -> str | None:
    """The one service the concerns point to; None when they point to none or to several (front door only)."""
    services = {policy.service_of[c] for c in concerns if c in policy.service_of}
    return services.pop() if len(services) == 1 else None


def advice_policy(ruleset: Ruleset) -> AdvicePolicy:
    """The ruleset's advice section as the routing reads it."""
    section = ruleset.source.advice
    return AdvicePolicy(section.answer_within_working_days,
                        {c: entry.service.value for entry in section.services for c in entry.concerns})
