"""What of a decision is the safeguarding hub's (MASH's) to tell, read from the typed ruleset (pure): the rules that
make other requests wait for MASH to decide first (`hold_others`), the requests they send (service and pathway:
MASH's own), and the concerns and risks they look for. A summary for a child's family leaves these out while MASH
has not decided: telling a family that a worry of harm was passed on is MASH's call, not a letter's. A rule that
sends to the safeguarding service without holding anything (telling a child's allocated social worker) is not
MASH deciding first: its request is told like any other."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.policy import ruleset_model as m
from services.policy.history import rules_of

LISTED_FACTS = ("concerns", "risks")  # the referral's lists a family summary words


@dataclass(frozen=True)
class Safeguarding:
    rules: frozenset[str]  # the ids of the rules whose reasons are MASH's to tell
    routes: frozenset[tuple[str, str]]  # (service, pathway) of the requests those rules send: MASH's own
    codes: frozenset[str]  # the concerns and risks those rules look for


def _conditions(node: Any, source: m.RulesetFile, seen: frozenset[str] = frozenset()) -> Iterator[Any]:
    """Every condition node in `node`, named conditions read in full (once each)."""
    if isinstance(node, list | tuple):
        for item in node:
            yield from _conditions(item, source, seen)
        return
    if not isinstance(node, m.Node):
        return
    yield node
    if isinstance(node, m.Is) and node.is_ not in seen:
        yield from _conditions(source.conditions.get(node.is_), source, seen | {node.is_})
    for name in type(node).model_fields:
        yield from _conditions(getattr(node, name), source, seen)


def _codes(condition: Any, source: m.RulesetFile) -> set[str]:
    """The concern and risk codes a condition looks for (a set test's members, a `contains`' value)."""
    found: set[str] = set()
    for node in _conditions(condition, source):
        if isinstance(node, m.Intersects) and node.intersects.fact in LISTED_FACTS:
            test = node.intersects
            members = source.groups.get(test.group, []) if test.group else test.values or []
            found |= {code for code in members if code not in test.except_}
        elif isinstance(node, m.Contains) and node.contains.fact in LISTED_FACTS:
            found.add(str(node.contains.value))
    return found


def safeguarding(source: m.RulesetFile) -> Safeguarding:
    """The rules that hold the other requests for MASH, the requests they send and the worries they look for."""
    rules: set[str] = set()
    routes: set[tuple[str, str]] = set()
    codes: set[str] = set()
    for rule in rules_of(source):
        then = getattr(rule, "then", [])
        if any(isinstance(a, m.HoldOthersAction) for a in then):
            rules.add(rule.id)
            routes |= {(a.route.service.value, a.route.pathway) for a in then if isinstance(a, m.RouteAction)}
            codes |= _codes(getattr(rule, "when", None), source)
    return Safeguarding(frozenset(rules), frozenset(routes), frozenset(codes))
