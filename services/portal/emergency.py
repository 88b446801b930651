"""What an emergency says to the person who made it (issue 20, item 3): pure, apart from reading the ruleset in force.

- `emergency_risks(ruleset)`: the risks that make a referral an emergency, read off the ruleset's rules that route
  at emergency priority (their conditions, named conditions and groups written out), never a list kept here;
- `due_when` / `due_words`: when an emergency is due, in London time and GOV.UK style ("by 3:40pm today");
- `contacts(settings)`: the council's emergency contacts (settings, so the council sets them in one place);
- `is_emergency` and `emergency_due`: whether a referral, as intake shows it to its referrer, is an emergency, and
  when its emergency request is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.enums import Priority, Risk
from schemas.labels import LONDON, day, label
from services.policy import ruleset_model as m
from services.policy.ruleset import DEFAULT_RULESET, Ruleset, RulesetError
from services.policy.ruleset.in_force import ruleset_in_force

# --- which risks are emergency risks -----------------------------------------------------------------------------


def _risks_in(condition: Any, source: m.RulesetFile, named: frozenset[str] = frozenset()) -> set[str]:
    """The risks whose presence makes `condition` hold (alone or with its other parts); none under a `not`."""
    if isinstance(condition, m.AllOf | m.AnyOf):
        parts = condition.all if isinstance(condition, m.AllOf) else condition.any
        return set().union(*(_risks_in(p, source, named) for p in parts))
    if isinstance(condition, m.Intersects) and condition.intersects.fact == "risks":
        test = condition.intersects
        members = source.groups.get(test.group, []) if test.group else (test.values or [])
        return {str(r) for r in members} - set(test.except_)
    if isinstance(condition, m.Contains) and condition.contains.fact == "risks":
        return {str(condition.contains.value)}
    if isinstance(condition, m.Is) and condition.is_ in source.conditions and condition.is_ not in named:
        return _risks_in(source.conditions[condition.is_], source, named | {condition.is_})
    return set()  # a `not`, another fact, or a test of the decision so far


def emergency_risks(ruleset: Ruleset) -> frozenset[str]:
    """The risks the ruleset routes at emergency priority: those tested by each rule with an emergency route."""
    source = ruleset.source
    risks: set[str] = set()
    for stage in source.stages:
        for rule in stage.rules:
            if any(isinstance(a, m.RouteAction) and a.route.priority == Priority.emergency for a in rule.then):
                risks |= _risks_in(rule.when, source)
    return frozenset(risks)


@lru_cache(maxsize=4)
def _risks_of(path: Path) -> tuple[str, ...]:
    try:
        risks = emergency_risks(ruleset_in_force(path))
    except RulesetError:
        return ()  # triage will not start with this file either
    return tuple(r.value for r in Risk if r.value in risks)  # in the form's order


def risks_in_force(settings: object) -> tuple[str, ...]:
    """The emergency risks of the ruleset triage runs (`RULESET_PATH`, or triage's reference ruleset)."""
    return _risks_of(Path(getattr(settings, "ruleset_path", None) or DEFAULT_RULESET))


# --- when it is due, in words ------------------------------------------------------------------------------------


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clock(local: datetime) -> str:
    """A time of day in GOV.UK style: 3:40pm, 9am, midday, midnight."""
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local.hour % 12 or 12}{minutes}{'am' if local.hour < 12 else 'pm'}"


def _on(day_: date, today: date) -> str:
    if day_ == today:
        return "today"
    if day_ == today + timedelta(days=1):
        return "tomorrow"
    return f"on {day(day_)}"


def due_when(due: object, now: object) -> str:
    """When something is due, in London, seen at `now`: "3:40pm today", "9am tomorrow", "3:40pm on 8 December
    2026"; midnight is the end of the day before ("midnight tonight"). Anything unreadable is shown as it is."""
    when, seen = _instant(due), _instant(now)
    if when is None:
        return str(due)
    local = when.astimezone(LONDON)
    today = (seen or datetime.now(UTC)).astimezone(LONDON).date()
    if (local.hour, local.minute) == (0, 0):
        ended = local.date() - timedelta(days=1)
        return "midnight tonight" if ended == today else f"midnight at the end of {day(ended)}"
    return f"{clock(local)} {_on(local.date(), today)}"


def due_words(due: object, now: object) -> str:
    """`due_when` after "by": "by 3:40pm today"."""
    return f"by {due_when(due, now)}"


# --- the referral as its referrer sees it --------------------------------------------------------------------------


def is_emergency(view: Any, risks: tuple[str, ...] | frozenset[str]) -> bool:
    """A referral (intake's view) is an emergency when its decision is one or asks for an emergency request, or,
    while undecided, when it reports a risk the ruleset in force makes an emergency."""
    if not isinstance(view, dict):
        return False
    decision = view.get("decision")
    if decision:
        return decision.get("outcome") == "emergency" or emergency_due(view) is not None
    reported = (view.get("referral") or {}).get("risks") or []
    return any(r in risks for r in reported)


def emergency_request(view: Any) -> dict[str, Any] | None:
    """The referral's emergency request due first (as intake gives it), or None."""
    requests = view.get("service_requests") or [] if isinstance(view, dict) else []
    emergencies = [r for r in requests if r.get("priority") == Priority.emergency and r.get("due_by")]
    latest = datetime.max.replace(tzinfo=UTC)
    return min(emergencies, key=lambda r: _instant(r["due_by"]) or latest) if emergencies else None


def emergency_due(view: Any) -> str | None:
    """When the referral's first emergency request is due (as intake gives it), or None."""
    first = emergency_request(view)
    return str(first["due_by"]) if first else None


# --- who to call -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contacts:
    danger: str
    crisis_line_name: str
    crisis_line_number: str
    duty_name: str
    duty_number: str
    duty_hours: str
    out_of_hours_name: str
    out_of_hours_number: str


def named(risks: tuple[str, ...]) -> str:
    """Risks in words, quoted: “A suicide plan or intent” or “Signs of psychosis”."""
    names = [f"“{label(r)}”" for r in risks]
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def help_context(settings: Any) -> dict[str, Any]:
    """What a page that warns needs: the council's contacts and the ruleset's emergency risks (and in words)."""
    risks = risks_in_force(settings)
    return {"contacts": contacts(settings), "emergency_risks": risks, "emergency_risk_names": named(risks)}


def contacts(settings: Any) -> Contacts:
    """The council's emergency contacts, from its settings (`EMERGENCY_*`)."""
    return Contacts(
        danger=settings.emergency_danger_text,
        crisis_line_name=settings.emergency_crisis_line_name,
        crisis_line_number=settings.emergency_crisis_line_number,
        duty_name=settings.emergency_duty_name,
        duty_number=settings.emergency_duty_number,
        duty_hours=settings.emergency_duty_hours,
        out_of_hours_name=settings.emergency_out_of_hours_name,
        out_of_hours_number=settings.emergency_out_of_hours_number,
    )
