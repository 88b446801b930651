"""Two small pure cores the mutation run found loosely pinned (issue 21, item 7): the facts a ruleset tests, read off
a referral (every fact by its name; the school year group, given or worked out from the date of birth), and the
worklists' refusals in words (a held request, a redirect to the same service, MASH acting on a request no longer
held for it)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

import pytest

from schemas import ReferralSubmitted
from schemas.enums import Channel, ConsentBasis, ReferrerRole
from services.policy.facts import FACT_TYPES, derive_facts, school_year_start
from services.worklists.rules import ActionRefusedError, check_action, held_refusal
from tests.factories import referral_body

SUBMITTED = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def event(history: dict[str, Any] | None = None, **changes: Any) -> ReferralSubmitted:
    rid = uuid.uuid4()
    return ReferralSubmitted(
        event_id=uuid.uuid4(), occurred_at=SUBMITTED, referral_id=rid, correlation_id=rid, child_id=uuid.uuid4(),
        submitted_at=SUBMITTED, referral=referral_body(**changes), history=history or {},
    )


@pytest.mark.parametrize(("day", "year"), [
    (date(2026, 8, 31), 2025), (date(2026, 9, 1), 2026), (date(2026, 9, 30), 2026), (date(2026, 10, 1), 2026),
    (date(2027, 1, 1), 2026), (date(2026, 12, 31), 2026),
])
def test_a_school_year_starts_on_1_september(day: date, year: int) -> None:
    assert school_year_start(day) == year


def test_every_fact_is_read_off_the_referral_and_its_history_by_its_name() -> None:
    e = event({"prior_referrals_365d": 2, "open_services": ["salt", "semh"], "safeguarding_pending": True},
              channel="api", referrer__role="gp", concerns=["stammering", "housing"], risks=["exclusion_risk"],
              consent__basis="parent_with_pr", known_services=["camhs"])
    facts = derive_facts(e, date(2026, 11, 23))
    assert set(facts) == set(FACT_TYPES)
    assert facts["channel"] == Channel("api") and facts["referrer_role"] == ReferrerRole("gp")
    assert facts["basis"] == ConsentBasis("parent_with_pr")
    assert facts["open_services"] == frozenset({"salt", "semh"}) and facts["prior"] == 2
    assert facts["concerns"] == frozenset({"stammering", "housing"}) and facts["risks"] == frozenset({"exclusion_risk"})
    assert facts["known_services"] == frozenset({"camhs"}) and facts["safeguarding_pending"] is True
    for name, (kind, vocabulary) in FACT_TYPES.items():
        if kind in ("enum", "set"):
            values = facts[name] if kind == "set" else {facts[name]}
            assert set(values) <= vocabulary, name  # every value is one the checker allows in a ruleset


@pytest.mark.parametrize(("setting", "year_group"), [
    ({"name": "Hill School", "year_group": 9}, 9),  # given: as given
    ({"name": "Hill School", "year_group": None}, 4),  # not given: from the date of birth
    (None, 4),  # no setting
])
def test_the_year_group_is_the_one_given_or_worked_out_from_the_date_of_birth(setting: dict[str, Any] | None,
                                                                             year_group: int) -> None:
    # Born in October 2017: the school year that began in September 2017; in November 2026, year 4.
    e = event(child__date_of_birth="2017-10-10", child__education_setting=setting)
    assert derive_facts(e, date(2026, 11, 23))["year_group"] == year_group


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"action": "accept", "status": "created", "held": True},
     "held under a safeguarding route until MASH releases it"),
    ({"action": "complete", "status": "accepted", "held": True},
     "held under a safeguarding route until MASH releases it"),
    ({"action": "redirect", "status": "created", "held": False, "service": "salt", "redirect_to": "salt"},
     "redirect to another service, not this one"),
    ({"action": "decline", "status": "accepted", "held": False}, "cannot decline a request that is accepted"),
])
def test_a_refused_action_says_why(kwargs: dict[str, Any], why: str) -> None:
    with pytest.raises(ActionRefusedError) as caught:
        check_action(**kwargs)
    assert str(caught.value) == why


@pytest.mark.parametrize(("action", "redirect_to", "result"), [
    ("redirect", "semh", "redirected"), ("redirect", None, "redirected"), ("decline", "salt", "declined"),
])
def test_a_redirect_elsewhere_and_other_actions_naming_the_same_service_are_allowed(
        action: str, redirect_to: str | None, result: str) -> None:
    assert check_action(action, status="created", held=False, service="salt", redirect_to=redirect_to) == result


@pytest.mark.parametrize(("status", "held", "refusal"), [
    ("created", True, None),  # still held for MASH
    ("created", False, "This request has already been released"),
    ("accepted", False, "This request has already been released"),
    ("declined", True, "This request has already been declined"),
    ("redirected", True, "This request has already been redirected"),
    ("withdrawn", True, "This request has already been withdrawn"),
])
def test_mash_is_told_why_it_can_no_longer_decide(status: str, held: bool, refusal: str | None) -> None:
    assert held_refusal(status=status, held=held) == refusal
