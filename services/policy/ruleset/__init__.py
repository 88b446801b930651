"""A triage ruleset, by job: `load.py` reads the file, `check.py` finds every problem with it (each
with its place in the file), `compile.py` turns it into the closures `engine.decide` runs (`compiled.py`).

A bad ruleset raises RulesetError listing every problem found, so a service refuses to start with a
message a front-door manager can act on."""

from services.policy.ruleset.check import RulesetError
from services.policy.ruleset.compile import compile_ruleset
from services.policy.ruleset.compiled import Because, CompiledRule, CompiledStage, Effect, OutcomeRule, Ruleset, Test
from services.policy.ruleset.load import DEFAULT_RULESET, load_ruleset

__all__ = [
    "DEFAULT_RULESET",
    "Because",
    "CompiledRule",
    "CompiledStage",
    "Effect",
    "OutcomeRule",
    "Ruleset",
    "RulesetError",
    "Test",
    "compile_ruleset",
    "load_ruleset",
]
