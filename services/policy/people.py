"""What the policy says about people's decisions, beside its rules: the rule id a person's decision carries in a
decision's explanation, and the services and pathways a person on the front door may route a referral to (every
pathway the ruleset itself routes to, or sends a redirect to), read from the compiled ruleset."""

from __future__ import annotations

from typing import Any

from services.policy import ruleset_model as m
from services.policy.ruleset.compiled import Ruleset

PERSONS_DECISION = "front_door.decision"  # the rule id of a person's decision in an explanation


def pathways(ruleset: Ruleset) -> list[tuple[str, str]]:
    """(service, pathway) a person may choose: each service in the ruleset's order, its pathways in the order the
    file first names them (its route actions, then its redirects)."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, m.RouteAction):
            found.append((node.route.service.value, node.route.pathway))
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
        elif isinstance(node, m.Node):
            for name in type(node).model_fields:
                walk(getattr(node, name))

    walk(ruleset.source.stages)
    found += [(service.value, pathway) for service, pathway in ruleset.source.redirects.items()]
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda sp: ruleset.service_order[sp[0]])
