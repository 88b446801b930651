"""Every worked case in ../shared/cases/triage passes through decide() with the shipped ruleset."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas import ReferralSubmitted
from services.policy.engine import decide
from services.policy.ruleset import load_ruleset
from tests.cases import GOLDEN, case_files, comparable, load

RULESET = load_ruleset()


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_worked_case_decides_as_expected(path: Path) -> None:
    case = load(path)
    decision = decide(ReferralSubmitted.model_validate(case["event"]), RULESET).model_dump(mode="json")
    assert comparable(decision) == comparable(case["expect"])


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_every_fired_rule_is_explained_in_plain_english(path: Path) -> None:
    decision = decide(ReferralSubmitted.model_validate(load(path)["event"]), RULESET)
    explained = [e.rule_id for e in decision.explanation]
    for route in decision.routes:
        assert set(route.reasons) <= set(explained)
    assert set(decision.dsr.reasons) <= set(explained)
    assert all(e.because and "{" not in e.because for e in decision.explanation)
    assert decision.ruleset_version == RULESET.version


def test_shipped_golden_cases_are_the_shared_worked_cases() -> None:
    # `frontdoor rules check` runs the packaged copies; they must not drift from the shared ones.
    shared = {p.name: load(p) for p in case_files()}
    golden = {p.name: load(p) for p in sorted(GOLDEN.glob("*.json"))}
    assert set(shared) <= set(golden)
    assert all(golden[name] == case for name, case in shared.items())
