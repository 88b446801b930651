"""Referral bodies for fault tests and the soak: the worked triage cases' referrals (so every
route, priority and DSR suggestion occurs), each for a new child, with some children referred
again (so the register folds several decisions for one child)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from services.demo import sample_nhs_number

GOLDEN = Path(__file__).resolve().parents[2] / "services" / "policy" / "golden"
GIVEN = ["Avery", "Bryn", "Cass", "Dara", "Eden", "Finley", "Gray", "Harley", "Indy", "Jules", "Kit", "Lowen"]
FAMILY = ["Ashdown", "Brightwell", "Colcott", "Dunmore", "Elstow", "Fennick", "Garrow", "Hallam", "Ivers", "Jessop"]


def case_referrals() -> list[dict[str, Any]]:
    return [json.loads(p.read_text())["event"]["referral"] for p in sorted(GOLDEN.glob("*.json"))]


def case_referral(name: str) -> dict[str, Any]:
    """One worked case's referral, e.g. "manual-review" (services/policy/golden/<name>.json)."""
    return dict(json.loads((GOLDEN / f"{name}.json").read_text())["event"]["referral"])


def referral_bodies(*, seed: int = 7, start: int = 0, repeat_share: float = 0.1,
                    cases: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Endless valid bodies. `start` offsets the sample NHS numbers so runs on one database do not meet;
    `cases` the referrals drawn from (default every worked case; list one several times to make it common)."""
    rng = random.Random(seed)
    cases = cases or case_referrals()
    children: list[dict[str, Any]] = []
    serial = start
    while True:
        body = copy.deepcopy(rng.choice(cases))
        if children and rng.random() < repeat_share:
            body["child"] |= copy.deepcopy(rng.choice(children))
        else:
            serial += 1
            identity = {"given_name": f"{rng.choice(GIVEN)}", "family_name": f"{rng.choice(FAMILY)}-{serial}",
                        "nhs_number": sample_nhs_number(serial * 10),  # x10: never two serials on one number
                        "date_of_birth": _younger(body["child"]["date_of_birth"], rng.randint(0, 180))}
            body["child"] |= identity
            children.append(identity | {"postcode": body["child"]["postcode"]})
        yield body


def _younger(born: str, days: int) -> str:
    """Born up to `days` later (so children spread over birth dates as a real population does),
    never within a month of today."""
    shifted = date.fromisoformat(born) + timedelta(days=days)
    return min(shifted, max(date.fromisoformat(born), date.today() - timedelta(days=30))).isoformat()
