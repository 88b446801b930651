"""Issue 20 item 7: a ruleset file that expands. Loading (start-up, `rules check`, the what-if upload) refuses, fast
and with the place in the file, any file whose aliases expand past RULESET_MAX_NODES nodes or that nests deeper
than RULESET_MAX_DEPTH, instead of spending minutes and gigabytes (or a RecursionError) on it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from services.common.settings import Settings
from services.policy.ruleset import DEFAULT_RULESET, RulesetError, load_ruleset
from services.policy.ruleset.load import Limits, parse_yaml
from tests.unit.test_cli import run

REFERENCE = DEFAULT_RULESET.read_text()


def bomb(levels: int = 6) -> str:
    """The reference ruleset with named conditions a0..a<levels>, each {any: [*a(k-1) ten times]}: 20 KB of file,
    10**levels conditions once its aliases are expanded."""
    lines = ["  a0: &a0 {contains: {fact: concerns, value: anxiety}}"]
    lines += [f"  a{k}: &a{k} {{any: [{', '.join([f'*a{k - 1}'] * 10)}]}}" for k in range(1, levels + 1)]
    return REFERENCE.replace("conditions:\n", "conditions:\n" + "\n".join(lines) + "\n", 1)


def nested_nots(depth: int = 900) -> str:
    condition = "{contains: {fact: concerns, value: anxiety}}"
    for _ in range(depth):
        condition = f"{{not: {condition}}}"
    return REFERENCE.replace("conditions:\n", f"conditions:\n  deep: {condition}\n", 1)


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(start))


def test_aliases_that_expand_past_the_limit_are_refused_fast_where_they_expand(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    assert path.stat().st_size < 25_000
    started = time.perf_counter()
    with pytest.raises(RulesetError) as refused:
        load_ruleset(path)
    assert time.perf_counter() - started < 2  # was minutes (152 s and 1.95 GB for six levels)
    [problem] = refused.value.problems
    # nodes, keys counted: a0 is 7, a1 73, a2 733, a3 7,333, a4 73,333: a4 is the first part past 20,000
    assert re.match(rf"line {line_of(bomb(), '  a4:')}, column \d+: ", problem), problem
    assert "more than 20000" in problem and "alias" in problem


def test_nesting_deeper_than_the_limit_is_a_located_problem_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(nested_nots())
    with pytest.raises(RulesetError) as refused:
        load_ruleset(path)
    [problem] = refused.value.problems
    assert re.match(rf"line {line_of(nested_nots(), '  deep:')}, column \d+: ", problem), problem
    assert "nested more than 50 levels" in problem


def test_an_alias_nested_deep_counts_as_the_nesting_it_stands_for() -> None:
    deep = "{contains: {fact: concerns, value: anxiety}}"
    for _ in range(30):
        deep = f"{{not: {deep}}}"
    outer = "*a"
    for _ in range(21):
        outer = f"{{not: {outer}}}"
    text = f"a: &a {deep}\nb: {outer}\n"  # a is 62 levels deep where b names it, 21 levels down
    with pytest.raises(RulesetError, match="nested more than 50 levels"):
        parse_yaml(text.encode(), "x", Limits(max_nodes=20_000, max_depth=50))


def test_the_limits_are_settings_and_the_shipped_ruleset_is_well_within_them() -> None:
    assert load_ruleset(DEFAULT_RULESET).name
    settings = Settings()
    assert (settings.ruleset_max_nodes, settings.ruleset_max_depth) == (20_000, 50)
    with pytest.raises(RulesetError, match="more than 500 nodes"):
        load_ruleset(DEFAULT_RULESET, limits=Limits.of(Settings(ruleset_max_nodes=500)))
    with pytest.raises(RulesetError, match="nested more than 8 levels"):
        load_ruleset(DEFAULT_RULESET, limits=Limits.of(Settings(ruleset_max_depth=8)))


def test_rules_check_refuses_the_bomb_with_exit_2_and_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    started = time.perf_counter()
    result = run("rules", "check", str(path))
    assert result.returncode == 2, result.stderr
    assert time.perf_counter() - started < 30  # a process start-up, not minutes
    assert f"line {line_of(bomb(), '  a4:')}, column" in result.stderr
