"""Realistic demo referrals for `make run DEMO=1`: fictional children, ages relative to today, NHS
numbers from the 999 range the NHS reserves for testing."""

from __future__ import annotations

from datetime import date
from typing import Any


def sample_nhs_number(serial: int) -> str:
    """A valid NHS number in the 999 test range."""
    for bump in range(10):
        body = f"999{(serial + bump) % 1_000_000:06d}"
        total = sum(int(d) * (10 - i) for i, d in enumerate(body))
        check = (11 - total % 11) % 11
        if check != 10:
            return body + str(check)
    raise AssertionError("unreachable")


def _born(today: date, years: int, months: int = 0) -> str:
    month = today.month - months
    year = today.year - years
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, min(today.day, 28)).isoformat()


def _referral(i: int, today: date, *, given: str, family: str, years: int, concerns: list[str], **extra: Any) -> dict[str, Any]:
    child = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": _born(today, years, months=i % 7),
        "nhs_number": sample_nhs_number(100 + i * 37),
        "postcode": ["SS1 2AB", "SS2 6HX", "SS0 7QP", "SS3 9LE", "SS9 4BN"][i % 5],
        "education_setting": {
            "urn": ["114999", "115020", "136504"][i % 3],
            "name": ["Seaview Primary Academy", "Eastwood Academy", "Cecil Jones Academy"][i % 3],
            "has_mhst": i % 2 == 0,
        },
        **extra.pop("child", {}),
    }
    return {
        "client_reference": f"demo-{i:03d}",
        "channel": "professional_portal",
        "child": child,
        "referrer": {"name": "Demo Referrer", "role": extra.pop("role", "school_senco"), "organisation": child["education_setting"]["name"],
                     "email": "senco@example.sch.uk", "phone": "01702 000000"},
        "consent": extra.pop("consent", {"basis": "parent_with_pr", "child_aware": True}),
        "reason": extra.pop("reason", "School and family have noticed changes over this term; details of what has been tried so far are given here."),
        "concerns": concerns,
        "impact": extra.pop("impact", "moderate"),
        "duration": extra.pop("duration", "1_to_6_months"),
        **extra,
    }


def demo_referrals(today: date) -> list[dict[str, Any]]:
    return [
        _referral(1, today, given="Ava", family="Demo-Hart", years=11, concerns=["anxiety", "bereavement"],
                  reason="Since her grandmother died in the summer Ava has been tearful in class and reluctant to come to school."),
        _referral(2, today, given="Leo", family="Demo-Okafor", years=15, concerns=["self_harm", "low_mood"],
                  risks=["self_harm_recent", "mh_admission_risk"], child={"diagnoses": ["autism"], "sen_status": "ehcp"},
                  impact="severe", reason="Leo has cut his arms twice this month and the CAMHS worker is worried about an admission."),
        _referral(3, today, given="Mia", family="Demo-Patel", years=3, concerns=["speech_sounds", "expressive_language"],
                  role="health_visitor", reason="At her 3-year review Mia uses few words and is hard for family to understand."),
        _referral(4, today, given="Noah", family="Demo-Brown", years=8, concerns=["anxiety", "parenting"],
                  risks=["harm_or_abuse_disclosure"], reason="Noah told his teacher today that he is hit at home when his dad drinks."),
        _referral(5, today, given="Ella", family="Demo-Nowak", years=17, concerns=["behaviour_that_challenges"],
                  risks=["placement_breakdown"], child={"diagnoses": ["learning_disability"], "social_care_status": "looked_after"},
                  consent={"basis": "young_person", "child_aware": True},
                  reason="Ella's residential placement is at risk of ending after several incidents this month."),
        _referral(6, today, given="Oscar", family="Demo-Smith", years=9, concerns=["feeding_swallowing"], risks=["aspiration_signs"],
                  role="school_nurse", reason="Oscar coughs and chokes at most lunchtimes and has had two chest infections."),
        _referral(7, today, given="Isla", family="Demo-Jones", years=7, concerns=["housing", "finances", "attendance"],
                  reason="The family were evicted last month and Isla's attendance has fallen to 70 percent."),
        _referral(8, today, given="Jacob", family="Demo-Evans", years=12, concerns=["anxiety", "school_avoidance"],
                  consent={"basis": "none", "child_aware": False},
                  reason="Jacob has missed most of the last three weeks; his parents have not yet been asked about a referral."),
    ]
