"""The working state of one decision while a ruleset runs over it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RouteDraft:
    service: str
    pathway: str
    priority: str
    held: bool
    reasons: list[str]


@dataclass
class State:
    facts: dict[str, Any]
    fired: set[str] = field(default_factory=set)
    routes: list[RouteDraft] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    explanation: list[tuple[str, str]] = field(default_factory=list)
    hold_by: str | None = None
    forced_outcome: str | None = None

    def add_route(self, route: RouteDraft) -> None:
        # Two rules asking for the same pathway make one route: keep the earlier, record both reasons.
        for existing in self.routes:
            if (existing.service, existing.pathway) == (route.service, route.pathway):
                existing.reasons.extend(r for r in route.reasons if r not in existing.reasons)
                return
        self.routes.append(route)

    def add_missing(self, item: str) -> None:
        if item not in self.missing:
            self.missing.append(item)

    def drop_routes(self, match: Callable[[RouteDraft], bool]) -> None:
        self.routes = [r for r in self.routes if not match(r)]
