"""The child's record, the pure part: who the child is, from their latest referral, showing enough to tell children
apart (name, date of birth, school, postcode district, as the search results show them) and the NHS number, never the
whole postcode or address."""

from __future__ import annotations

from typing import Any

from services.common.search import district_of


def child_details(child: dict[str, Any], nhs_number: str | None) -> dict[str, Any]:
    """The child as a referral's `child` gives it (the NHS number: the child record's, else the referral's)."""
    setting = child.get("education_setting") or {}
    return {"given_name": child.get("given_name"), "family_name": child.get("family_name"),
            "date_of_birth": child.get("date_of_birth"), "school": setting.get("name"),
            "postcode_district": district_of(child.get("postcode")),
            "nhs_number": nhs_number or child.get("nhs_number")}
