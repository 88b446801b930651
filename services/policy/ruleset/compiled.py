"""What a compiled ruleset is: the closures and tables `engine.decide` runs over a decision's State."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from services.common.workdays import WorkingCalendar
from services.policy import ruleset_model as m
from services.policy.state import State

Test = Callable[[State], bool]
Effect = Callable[[State], None]


@dataclass(frozen=True)
class Because:
    """A rule's plain-English reason; `{fact}` placeholders are filled from the referral's facts."""

    text: str
    templated: bool

    def render(self, facts: dict[str, Any]) -> str:
        if not self.templated:
            return self.text
        values = {k: ", ".join(sorted(v)) if isinstance(v, frozenset) else v for k, v in facts.items()}
        return self.text.format_map(values)


@dataclass(frozen=True)
class CompiledRule:
    id: str
    test: Test
    effects: tuple[Effect, ...]
    because: Because
    halts: bool
    boosts: bool


@dataclass(frozen=True)
class CompiledStage:
    id: str
    first_only: bool
    rules: tuple[CompiledRule, ...]


@dataclass(frozen=True)
class OutcomeRule:
    id: str
    test: Test
    because: Because
    value: str | None = None


@dataclass(frozen=True)
class FallThrough:
    """The reason given when no stage's rule decides a referral (no route, nothing missing, no outcome set): a person
    on the front door decides."""

    id: str
    because: Because


@dataclass(frozen=True)
class Ruleset:
    """A compiled ruleset. `version` is stamped on every decision: semver plus a hash of the file."""

    name: str
    version: str
    source: m.RulesetFile
    stages: tuple[CompiledStage, ...]
    service_order: dict[str, int]
    variables: dict[str, str]
    calendar: WorkingCalendar
    due_time: time
    clocks: dict[tuple[str, str], m.Clock]
    fall_through: FallThrough
    dsr_candidate: OutcomeRule
    dsr_ratings: tuple[OutcomeRule, ...]
    dsr_consent: tuple[OutcomeRule, ...]
    sharing: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def holds(self, service: str, priority: str) -> bool:
        """Whether a request of this service and priority waits while MASH decides (the `hold` section:
        every route bar its exempt services and priorities). Triage, a person's decision, a redirect and a
        merge all ask this one question."""
        return waits_for_mash(self.source.hold, service, priority)


def waits_for_mash(hold: m.Hold, service: str, priority: str) -> bool:
    """A route of this service and priority waits while MASH decides, unless `hold` exempts it."""
    return service not in hold.exempt_services and priority not in hold.exempt_priorities
