"""A person's decision applied (pure): intake sends what a person on the front door decided
(`referral.override_requested`, with the decision in force and its open requests); triage applies it
with the ruleset's clock and sharing rules and publishes the new decision (`triage.overridden`), one
`service_request.created` per added route and one `service_request.withdrawn` per withdrawn request.
Every id is derived from the request's event id, so a redelivered request yields the very same events.
While MASH has yet to decide about the child (`history.safeguarding_pending`), every route the person adds waits
for it, exactly as triage would hold it (`Ruleset.holds`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from schemas import Explanation, OverrideRequested, Route, ServiceOutcome, ServiceRequestCreated
from schemas.enums import Outcome, OutcomeEventType, Priority
from schemas.events import TriageOverridden
from services.common.ids import derived_id
from services.policy.engine import due_by
from services.policy.people import PERSONS_DECISION
from services.policy.ruleset import Ruleset
from services.triage.outputs import service_details, with_person

RULE_ID = PERSONS_DECISION  # the policy's id for a person's decision
BECAUSE_MAX = 500  # Explanation.because
REASON_MAX = 2000  # ServiceOutcome.reason

Applied = tuple[TriageOverridden, list[ServiceRequestCreated], list[ServiceOutcome]]


@dataclass
class _Routes:
    """The routes in force while the changes are applied in order: the open requests, those added by this
    decision and those it took away."""

    open: list[Route]
    added: set[uuid.UUID] = field(default_factory=set)
    withdrawn: list[Route] = field(default_factory=list)

    def find(self, request_id: uuid.UUID | None) -> Route | None:
        return next((r for r in self.open if r.service_request_id == request_id), None)

    def withdraw(self, route: Route) -> None:
        self.open.remove(route)
        if route.service_request_id in self.added:  # added and taken away by the same decision: never published
            self.added.discard(route.service_request_id)
        else:
            self.withdrawn.append(route)

    def add(self, route: Route) -> None:
        if self.find(route.service_request_id) is None:  # the same route twice in one decision: once
            self.open.append(route)
            self.added.add(route.service_request_id)  # type: ignore[arg-type]  # always set here


def apply_override(event: OverrideRequested, ruleset: Ruleset, *, now: datetime) -> Applied:
    """Apply `event.changes` in order to `event.current`. A withdrawal or a change of priority of a
    request that is not open (intake refused it already; a stale request) changes nothing."""
    routes = _Routes(open=list(event.current.routes))
    pending = event.history.safeguarding_pending
    signpost = None
    for change in event.changes:
        if change.kind == "add_route":
            assert change.service and change.pathway and change.priority  # RouteChange validates each kind
            held = pending and ruleset.holds(change.service.value, change.priority.value)
            routes.add(_new_route(event, ruleset, now, change.service.value, change.pathway, change.priority, [],
                                  held=held))
        elif change.kind == "withdraw_route":
            if (route := routes.find(change.service_request_id)) is not None:
                routes.withdraw(route)
        elif change.kind == "change_priority":
            route = routes.find(change.service_request_id)
            if route is not None and change.priority is not None:
                routes.withdraw(route)
                held = held_after_change(route, change.priority, pending=pending, ruleset=ruleset)
                routes.add(_new_route(event, ruleset, now, route.service.value, route.pathway, change.priority,
                                      route.reasons, held=held))
        else:  # close: every open route withdrawn, the family signposted
            for route in list(routes.open):
                routes.withdraw(route)
            signpost = change.signpost
    decided = _overridden(event, routes.open, signpost, now)
    because = {e.rule_id: e for e in decided.explanation}  # a decision on an override: this one's rationale
    created = [_created(event, ruleset, r, because, now) for r in routes.open if r.service_request_id in routes.added]
    withdrawn = [_withdrawn(event, r, now) for r in routes.withdrawn]
    return decided, created, withdrawn


def held_after_change(route: Route, priority: Priority, *, pending: bool, ruleset: Ruleset) -> bool:
    """A request given a new priority is a new request: it waits for MASH as triage would hold it (MASH has
    yet to decide about the child, or it waited already), unless its new priority is exempt."""
    return (pending or route.held) and ruleset.holds(route.service.value, priority.value)


def _new_route(event: OverrideRequested, ruleset: Ruleset, now: datetime, service: str, pathway: str,
               priority: Priority, reasons: list[str], *, held: bool) -> Route:
    return Route(
        service=service, pathway=pathway, priority=priority, held=held,  # type: ignore[arg-type]  # validated
        due_by=due_by(now, service, priority.value, ruleset),
        reasons=[RULE_ID, *(r for r in reasons if r != RULE_ID)],
        service_request_id=derived_id(event.event_id, "request", service, pathway, priority.value),
    )


def _overridden(event: OverrideRequested, routes: list[Route], signpost: str | None, now: datetime) -> TriageOverridden:
    current = event.current
    if any(r.priority == Priority.emergency for r in routes):
        outcome = Outcome.emergency
    else:
        outcome = Outcome.routed if routes else Outcome.out_of_scope
    decision = Explanation(rule_id=RULE_ID,
                           because=f"A person on the front door decided: {event.rationale}"[:BECAUSE_MAX])
    return TriageOverridden(
        event_id=derived_id(event.event_id, "triage.overridden"), occurred_at=now, correlation_id=event.referral_id,
        referral_id=event.referral_id, child_id=event.child_id, decided_at=now,
        ruleset_version=current.ruleset_version, outcome=outcome, routes=routes, missing=[],
        dsr=with_person(current.dsr, event.referral),
        explanation=[*current.explanation, decision],
        decided_by=event.decided_by, decided_by_name=event.decided_by_name, supersedes=event.supersedes,
        rationale=event.rationale,
        disagreed_with=event.disagreed_with, changes=event.changes, signpost=signpost,
    )


def _created(event: OverrideRequested, ruleset: Ruleset, route: Route, because: dict[str, Explanation],
             now: datetime) -> ServiceRequestCreated:
    assert route.service_request_id is not None
    return ServiceRequestCreated(
        event_id=derived_id(event.event_id, "service_request.created", route.service.value, route.pathway,
                            route.priority.value),
        occurred_at=now, correlation_id=event.referral_id, service_request_id=route.service_request_id,
        referral_id=event.referral_id, child_id=event.child_id, service=route.service, pathway=route.pathway,
        priority=route.priority, due_by=route.due_by, held=route.held,
        reasons=[because[rule_id] for rule_id in route.reasons if rule_id in because],
        details=service_details(event.referral, ruleset.sharing[route.service.value]),
    )


def _withdrawn(event: OverrideRequested, route: Route, now: datetime) -> ServiceOutcome:
    assert route.service_request_id is not None
    return ServiceOutcome(
        event_id=derived_id(event.event_id, "service_request.withdrawn", str(route.service_request_id)),
        occurred_at=now, correlation_id=event.referral_id, event_type=OutcomeEventType.withdrawn,
        service_request_id=route.service_request_id, referral_id=event.referral_id, child_id=event.child_id,
        service=route.service, by=event.decided_by, by_name=event.decided_by_name, reason=event.rationale[:REASON_MAX],
        pathway=route.pathway, due_by=route.due_by,
    )
