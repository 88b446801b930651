"""The facts a ruleset can test, derived from a `referral.submitted` event alone
(triage-policy.md, "Derived values")."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from schemas.enums import (
    Channel,
    Concern,
    ConsentBasis,
    Diagnosis,
    Duration,
    Impact,
    KnownService,
    ReferrerRole,
    Risk,
    SenStatus,
    Service,
    SocialCareStatus,
)
from schemas.events import ReferralSubmitted
from schemas.referral import age_on


def _values(enum: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in enum)


# name -> (kind, vocabulary). Kinds: "int", "bool", "enum" (one value), "set" (several values).
FACT_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "age": ("int", frozenset()),
    "year_group": ("int", frozenset()),
    "prior": ("int", frozenset()),
    "child_aware": ("bool", frozenset()),
    "has_mhst": ("bool", frozenset()),
    "basis": ("enum", _values(ConsentBasis)),
    "impact": ("enum", _values(Impact)),
    "duration": ("enum", _values(Duration)),
    "sen_status": ("enum", _values(SenStatus)),
    "social_care_status": ("enum", _values(SocialCareStatus)),
    "channel": ("enum", _values(Channel)),
    "referrer_role": ("enum", _values(ReferrerRole)),
    "concerns": ("set", _values(Concern)),
    "risks": ("set", _values(Risk)),
    "diagnoses": ("set", _values(Diagnosis)),
    "known_services": ("set", _values(KnownService)),
    "open_services": ("set", _values(Service)),
    "safeguarding_pending": ("bool", frozenset()),
}


def school_year_start(day: date) -> int:
    """A(d): the calendar year in which the school year containing `day` began (September)."""
    return day.year if day.month >= 9 else day.year - 1


def derive_facts(event: ReferralSubmitted, local_day: date) -> dict[str, Any]:
    """Every fact in FACT_TYPES for one event, given the local day of submission."""
    referral = event.referral
    child = referral.child
    setting = child.education_setting
    year_group = setting.year_group if setting is not None and setting.year_group is not None else None
    if year_group is None:
        year_group = school_year_start(local_day) - school_year_start(child.date_of_birth) - 5
    # StrEnum members hash and compare as their values: no .value conversions on this hot path.
    return {
        "age": age_on(child.date_of_birth, local_day),
        "year_group": year_group,
        "prior": event.history.prior_referrals_365d,
        "child_aware": referral.consent.child_aware,
        "has_mhst": bool(setting is not None and setting.has_mhst),
        "basis": referral.consent.basis,
        "impact": referral.impact,
        "duration": referral.duration,
        "sen_status": child.sen_status,
        "social_care_status": child.social_care_status,
        "channel": referral.channel,
        "referrer_role": referral.referrer.role,
        "concerns": frozenset(referral.concerns),
        "risks": frozenset(referral.risks),
        "diagnoses": frozenset(child.diagnoses),
        "known_services": frozenset(referral.known_services),
        "open_services": frozenset(event.history.open_services),
        "safeguarding_pending": event.history.safeguarding_pending,
    }
