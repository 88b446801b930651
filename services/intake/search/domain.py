"""Finding a child, intake's pure part: the search row of a referral as stored (also what migration 0013 fills the
index with), and a row as the shared ranking reads it (`services.common.search`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.common import search


def row_values(referral_id: uuid.UUID, referral: Mapping[str, Any]) -> dict[str, Any]:
    """What a referral (its stored JSON) can be found by: the columns of its `child_search` row."""
    child = referral.get("child") or {}
    given, family = str(child.get("given_name") or ""), str(child.get("family_name") or "")
    setting = child.get("education_setting") or {}
    born = child.get("date_of_birth")
    return {
        "referral_id": referral_id, "given_name": given, "family_name": family,
        "given_key": search.ascii_key(given), "family_key": search.ascii_key(family),
        "names": search.names_text(given, family),
        "date_of_birth": born if isinstance(born, date) else date.fromisoformat(str(born)),
        "nhs_number": child.get("nhs_number"), "upn": child.get("upn"), "postcode": child.get("postcode"),
        "postcode_district": search.district_of(child.get("postcode")),
        "school": setting.get("name") if isinstance(setting, Mapping) else None,
        "reference": search.reference_of(referral_id),
    }


def record_of(row: Any, child_id: uuid.UUID, submitted_at: datetime) -> search.Record:
    """A `child_search` row of a referral about `child_id` (after merges) as the ranking reads it."""
    return search.Record(
        child_id=str(child_id), given_name=row.given_name, family_name=row.family_name,
        date_of_birth=row.date_of_birth, at=submitted_at, nhs_number=row.nhs_number, upn=row.upn,
        postcode=row.postcode, school=row.school, references=(uuid.UUID(str(row.referral_id)).hex.upper(),))
