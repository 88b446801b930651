"""What a referrer may see of a decision: nothing of other referrers' activity.

Triage decides with the child's history from the store (`History`: referrals in the last year, open services),
whoever made those referrals, and its explanation says so ("2 earlier referrals in the last year: ..."). A
referrer reading that learns that someone else (perhaps MASH) referred the child. So a referrer's view of a
decision words every reason that rests on the history without its details (HISTORY_WORDS, once), and drops the
ids of those rules from the routes, the register suggestion and people's disagreements; the front door and the
services keep the whole explanation.

Which rules rest on the history is the policy's own answer, from the compiled ruleset in force (RULESET_PATH, as
triage reads it; `services/policy/history.py`): a rule whose condition, or `because` text, reads a history fact,
directly or through a named condition, a variable such a rule set, a rule that fired, or the routes such a rule
added or dropped. A rule the policy does not know (a
decision under an older policy) is treated as resting on the history: nothing is shown that might disclose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.common.settings import Settings
from services.policy.history import history_rules, rule_ids
from services.policy.people import PERSONS_DECISION
from services.policy.ruleset import RulesetError
from services.policy.ruleset.in_force import ruleset_in_force

HISTORY = "history"  # the rule id of the one line that stands for every reason resting on the history
HISTORY_WORDS = "The front door also took into account what it already knew about the child."


@dataclass(frozen=True)
class Reader:
    """What one reader may see of decisions. `everything` (the front door, the services): as they are. Otherwise
    (a referrer) each reason resting on the history, or on a rule outside `known`, is replaced by HISTORY_WORDS
    once, and those rules' ids are left out wherever listed."""

    everything: bool
    known: frozenset[str] = frozenset()
    history: frozenset[str] = frozenset()

    def hidden(self, rule_id: str) -> bool:
        return not self.everything and (rule_id in self.history or rule_id not in self.known | {PERSONS_DECISION})

    def rule_ids(self, ids: Iterable[str] | None) -> list[str]:
        return [r for r in ids or () if not self.hidden(r)]

    def decision(self, decision: dict[str, Any] | None) -> dict[str, Any] | None:
        """A decision as intake keeps it (`decision_record`), as this reader may see it."""
        if decision is None or self.everything:
            return decision
        shown = dict(decision)
        explanation, worded = [], False
        for entry in decision.get("explanation") or []:
            if not self.hidden(entry["rule_id"]):
                explanation.append(entry)
            elif not worded:
                explanation.append({"rule_id": HISTORY, "because": HISTORY_WORDS})
                worded = True
        shown["explanation"] = explanation
        shown["routes"] = [route | {"reasons": self.rule_ids(route.get("reasons"))}
                           for route in decision.get("routes") or []]
        if isinstance(decision.get("dsr"), dict):
            shown["dsr"] = decision["dsr"] | {"reasons": self.rule_ids(decision["dsr"].get("reasons"))}
        if "disagreed_with" in decision:
            shown["disagreed_with"] = self.rule_ids(decision["disagreed_with"])
        if decision.get("decided_by_name"):
            shown["decided_by_name"] = None  # a referrer sees the team (the front door), not who on it
        return shown

    def person(self, name: str | None) -> str | None:
        """A person's display name, as this reader may see it (a referrer: none; they see the team)."""
        return name if self.everything else None


FRONT_DOOR = Reader(everything=True)


def referrer(ruleset_path: str | None = None) -> Reader:
    """What a referrer may see, by the triage policy at `ruleset_path` (None: the one triage is configured with,
    RULESET_PATH, else its reference ruleset)."""
    known, history = policy(ruleset_path or configured_ruleset())
    return Reader(everything=False, known=known, history=history)


@cache
def configured_ruleset() -> str | None:
    """The ruleset triage is configured with (RULESET_PATH), or None for its reference ruleset."""
    path = Settings().ruleset_path
    return str(path) if path else None


@cache
def policy(path: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(every rule id, the rules resting on the history) of the triage policy at `path` (None: the ruleset in
    force), as the policy itself answers from its compiled form. A policy that cannot be read knows no rule: every
    reason is worded."""
    try:
        source = ruleset_in_force(path).source
    except (OSError, RulesetError):
        return frozenset(), frozenset()
    return rule_ids(source), history_rules(source)
