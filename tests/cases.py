"""The worked triage cases, read in place from ../shared (CI has it beside the clone)."""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from services.policy.golden import comparable

__all__ = ["GOLDEN", "SHARED_CASES", "case_files", "comparable", "load", "reference_ruleset"]

ROOT = Path(__file__).resolve().parents[1]
# FRONTDOOR_SHARED_CASES: for runs from a copy of the tree elsewhere (`make mutate` runs from ./mutants).
SHARED_CASES = Path(os.environ.get("FRONTDOOR_SHARED_CASES") or ROOT.parent / "shared" / "cases" / "triage")
GOLDEN = ROOT / "services" / "policy" / "golden"


def case_files() -> list[Path]:
    files = sorted(SHARED_CASES.glob("*.json"))
    assert files, f"no worked cases found in {SHARED_CASES}"
    return files


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def reference_ruleset() -> dict[str, Any]:
    """The shipped ruleset file as data (yaml.safe_load), a copy of its own for each caller to change: the file is
    parsed once per process (the pure-Python parser takes ~70 ms a time, and tests ask for it a hundred times)."""
    return copy.deepcopy(_reference_ruleset())


@cache
def _reference_ruleset() -> dict[str, Any]:
    import yaml

    from services.policy.ruleset.load import DEFAULT_RULESET

    data: dict[str, Any] = yaml.safe_load(DEFAULT_RULESET.read_text())
    return data


def whatif_proposal() -> dict[str, Any]:
    """The what-if tests' and benchmark's proposed policy: the shipped ruleset with SALT's routine clock lengthened
    (90 to 120 working days) and anxiety taken out of the SEMH group (anxiety alone no longer routes to SEMH)."""
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": 120}
    data["groups"]["SEMH"].remove("anxiety")
    return data


def write_whatif_proposal(directory: Path, name: str = "proposed.yaml") -> Path:
    """`whatif_proposal()` as a ruleset file in `directory`."""
    path = directory / name
    path.write_text(_whatif_proposal_text())
    return path


@cache
def _whatif_proposal_text() -> str:
    import yaml

    text: str = yaml.safe_dump(whatif_proposal(), sort_keys=False)
    return text
