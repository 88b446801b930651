"""decide(): a referral.submitted event and a ruleset in, a TriageDecision out. Pure: no I/O, no clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.events import DsrSuggestion, Explanation, ReferralSubmitted, Route, TriageDecision
from services.policy.facts import derive_facts
from services.policy.ruleset import CompiledStage, OutcomeRule, Ruleset
from services.policy.state import State


def decide(event: ReferralSubmitted, ruleset: Ruleset, *, decided_at: datetime | None = None) -> TriageDecision:
    """Run every stage of `ruleset` over `event`. `decided_at` defaults to the submission time, so the
    same inputs always give the same decision; the consumer passes the real time."""
    local_day = ruleset.calendar.local_day(event.submitted_at)
    state = State(facts=derive_facts(event, local_day) | ruleset.variables)
    for stage in ruleset.stages:
        halted = _run_stage(stage, state, ruleset)
        if halted:
            break
    outcome = _outcome(state)
    if outcome == "manual_review" and state.forced_outcome is None:  # no rule decided: the fall-through says why
        fall = ruleset.fall_through
        state.explanation.append((fall.id, fall.because.render(state.facts)))
    dsr = _dsr(state, ruleset)
    routes = sorted(state.routes, key=lambda r: (ruleset.service_order[r.service], r.pathway))
    return TriageDecision(
        referral_id=event.referral_id,
        child_id=event.child_id,
        decided_at=decided_at or event.submitted_at,
        ruleset_version=ruleset.version,
        outcome=outcome,
        routes=[
            Route(
                service=r.service,
                pathway=r.pathway,
                priority=r.priority,
                due_by=due_by(event.submitted_at, r.service, r.priority, ruleset),
                held=r.held,
                reasons=r.reasons,
            )
            for r in routes
        ],
        missing=sorted(state.missing),
        dsr=dsr,
        explanation=[Explanation(rule_id=rule_id, because=text) for rule_id, text in state.explanation],
    )


def _run_stage(stage: CompiledStage, state: State, ruleset: Ruleset) -> bool:
    boosted_by: list[str] = []
    halted = False
    for rule in stage.rules:
        if not rule.test(state):
            continue
        state.fired.add(rule.id)
        state.explanation.append((rule.id, rule.because.render(state.facts)))
        for effect in rule.effects:
            effect(state)
        if rule.boosts:
            boosted_by.append(rule.id)
        halted = halted or rule.halts
        if stage.first_only:
            break
    if boosted_by:
        _boost(state, ruleset, boosted_by)
    return halted


def _boost(state: State, ruleset: Ruleset, reasons: list[str]) -> None:
    """Raise eligible routes one level, once, however many reasons apply."""
    boost = ruleset.source.boost
    exempt = {s.value for s in boost.exempt_services}
    steps = {a.value: b.value for a, b in boost.raise_.items()}
    for route in state.routes:
        if route.service not in exempt and route.priority in steps:
            route.priority = steps[route.priority]
            route.reasons.extend(reasons)


def _outcome(state: State) -> str:
    if state.forced_outcome is not None:
        return state.forced_outcome
    if any(r.priority == "emergency" for r in state.routes):
        return "emergency"
    if state.routes:
        return "routed"
    return "needs_information" if state.missing else "manual_review"


def due_by(submitted_at: datetime, service: str, priority: str, ruleset: Ruleset) -> datetime:
    clock = ruleset.clocks[(service, priority)]
    if clock.hours is not None:
        return (submitted_at + timedelta(hours=clock.hours)).astimezone(ruleset.calendar.tz)
    assert clock.working_days is not None
    return ruleset.calendar.due_after_working_days(submitted_at, clock.working_days, ruleset.due_time)


def _dsr(state: State, ruleset: Ruleset) -> DsrSuggestion:
    candidate = ruleset.dsr_candidate
    if not candidate.test(state):
        return DsrSuggestion(candidate=False)
    rating = _first(ruleset.dsr_ratings, state)
    consent = _first(ruleset.dsr_consent, state)
    fired = [r for r in (candidate, rating, consent) if r is not None]
    for rule in fired:
        state.explanation.append((rule.id, rule.because.render(state.facts)))
    return DsrSuggestion(
        candidate=True,
        suggested_rating=rating.value if rating else None,
        consent=consent.value if consent else None,
        reasons=[r.id for r in fired],
    )


def _first(rules: tuple[OutcomeRule, ...], state: State) -> OutcomeRule | None:
    return next((r for r in rules if r.test(state)), None)
