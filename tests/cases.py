"""The worked triage cases, read in place from ../shared (CI has it beside the clone)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from services.triage.golden import comparable

__all__ = ["GOLDEN", "SHARED_CASES", "case_files", "comparable", "load"]

ROOT = Path(__file__).resolve().parents[1]
# FRONTDOOR_SHARED_CASES: for runs from a copy of the tree elsewhere (`make mutate` runs from ./mutants).
SHARED_CASES = Path(os.environ.get("FRONTDOOR_SHARED_CASES") or ROOT.parent / "shared" / "cases" / "triage")
GOLDEN = ROOT / "services" / "triage" / "golden"


def case_files() -> list[Path]:
    files = sorted(SHARED_CASES.glob("*.json"))
    assert files, f"no worked cases found in {SHARED_CASES}"
    return files


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
