"""Valid referral bodies for tests, with canary personal details that must never reach a log."""

from __future__ import annotations

import copy
import random
import string
from datetime import date
from typing import Any

from services.demo import sample_nhs_number

CANARY_GIVEN = "Quillon"
CANARY_FAMILY = "Zephyrine-Marchbank"
CANARY_NHS = sample_nhs_number(424242)
CANARY_POSTCODE = "SS7 3QZ"
CANARY_DOB = "2014-02-27"
CANARY_REASON = "Canary-free-text: Quillon told the nurse about the kestrel nightmares every single night."
CANARIES = [CANARY_GIVEN, CANARY_FAMILY, CANARY_NHS, CANARY_POSTCODE, CANARY_DOB, "kestrel nightmares"]


def referral_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "professional_portal",
        "child": {
            "given_name": CANARY_GIVEN,
            "family_name": CANARY_FAMILY,
            "date_of_birth": CANARY_DOB,
            "nhs_number": CANARY_NHS,
            "postcode": CANARY_POSTCODE,
            "education_setting": {"urn": "114999", "name": "Example Academy", "has_mhst": False},
        },
        "referrer": {"name": "A Referrer", "role": "school_senco", "organisation": "Example Academy"},
        "consent": {"basis": "parent_with_pr", "child_aware": True},
        "reason": CANARY_REASON,
        "concerns": ["anxiety", "speech_sounds", "housing"],
        "impact": "mild",
        "duration": "1_to_6_months",
    }
    for path, value in changes.items():
        set_path(body, path, value)
    return body


def set_path(body: dict[str, Any], dotted: str, value: Any) -> None:
    """set_path(b, "child__nhs_number", x): double underscores separate levels; `...` deletes."""
    keys = dotted.split("__")
    target = body
    for k in keys[:-1]:
        target = target[k]
    if value is ...:
        target.pop(keys[-1], None)
    else:
        target[keys[-1]] = copy.deepcopy(value)


def years_ago(years: int, today: date | None = None) -> str:
    today = today or date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def a_child_of_its_own() -> dict[str, Any]:
    """referral_body changes that make the referral about a child no other test refers (the canary given name
    kept): a shared database's canary child may have a safeguarding request MASH has yet to decide, and then every
    request for that child waits for MASH (safeguarding first), which a test of a service's own flow does not want."""
    family = "".join(random.choices(string.ascii_lowercase, k=12)).capitalize()
    return {"child__family_name": f"{CANARY_FAMILY}-{family}"}
