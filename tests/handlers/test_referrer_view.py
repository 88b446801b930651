"""What a referrer learns about other referrers (issue 12, item 7): nothing. Two referrers refer the same child; the
second's view of their referral (the API's dict) shows nothing of the first's referrals, while the front door's view
of the same referral keeps the whole explanation. Triage's real engine and reference policy make the decision."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlmodel import Session

from schemas import ReferralSubmitted, TriageDecided
from services.intake.referrals import disclosure, handlers, views
from services.intake.tables import ReferralRecord
from services.policy.engine import decide
from services.policy.ruleset import load_ruleset
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import DAY, referral, sent

FIRST = principal("mash-hub", "referrer")  # e.g. MASH, whose referrals another referrer must not learn of
SECOND = principal("senco-seaview", "referrer")
FRONT_DOOR = principal("fd-dana", "front_door")
RULESET = load_ruleset()


def refer(session: Session, by: Any, day: int, **changes: Any) -> ReferralRecord:
    """A referral of the one child (same NHS number) submitted `day` days after NOW, decided by triage."""
    result = handlers.submit(session, referral(**changes), by=by, now=NOW + day * DAY)
    session.commit()
    [event] = [e for e in sent(session) if e.referral_id == result.record.id]
    assert isinstance(event, ReferralSubmitted)
    decision = decide(event, RULESET)
    handlers.apply_decision(session, TriageDecided(event_id=uuid.uuid4(), occurred_at=decision.decided_at,
                                                   **decision.model_dump()), decision.decided_at)
    session.commit()
    return result.record


@pytest.fixture
def referred(session: Session) -> tuple[list[ReferralRecord], ReferralRecord]:
    firsts = [refer(session, FIRST, 0, client_reference="mash-1"), refer(session, FIRST, 1, client_reference="mash-2")]
    second = refer(session, SECOND, 2, client_reference="school-1")
    assert len({r.child_id for r in (*firsts, second)}) == 1
    return firsts, second


def test_the_decision_rests_on_the_other_referrers_referrals(
    session: Session, referred: tuple[list[ReferralRecord], ReferralRecord],
) -> None:
    """The premise: triage counted the first referrer's two referrals (what the front door still sees)."""
    _, second = referred
    shown = views.referral_view(session, second.id, by=FRONT_DOOR, front_door=True)
    assert "2 earlier referrals in the last year" in json.dumps(shown["decision"]["explanation"])
    assert any("boost.repeat_referral" in r["reasons"] for r in shown["decision"]["routes"])


def test_the_second_referrer_sees_nothing_of_the_first_referrers_referrals(
    session: Session, referred: tuple[list[ReferralRecord], ReferralRecord],
) -> None:
    firsts, second = referred
    shown = views.referral_view(session, second.id, by=SECOND)
    text = json.dumps(shown)
    for other in firsts:
        assert str(other.id) not in text and str(other.event_id) not in text
    for hint in ("earlier referral", "repeat referral", "boost.repeat_referral", "mash-hub", "mash-1", "2 earlier",
                 "possible_duplicate"):
        assert hint not in text
    assert disclosure.HISTORY_WORDS in [e["because"] for e in shown["decision"]["explanation"]]
    assert all(t["this_referral"] for t in shown["timeline"])
    assert [s["client_reference"] for s in views.referral_summaries(session, by=SECOND)] == ["school-1"]
    # what does not rest on the history is still explained, word for word
    full = views.referral_view(session, second.id, by=FRONT_DOOR, front_door=True)
    kept = [e for e in full["decision"]["explanation"] if e["rule_id"] != "boost.repeat_referral"]
    assert [e for e in shown["decision"]["explanation"] if e["rule_id"] != disclosure.HISTORY] == kept
    assert [r["priority"] for r in shown["decision"]["routes"]] == [r["priority"] for r in full["decision"]["routes"]]


def test_a_referrer_without_other_referrers_history_sees_the_whole_explanation(session: Session) -> None:
    only = refer(session, SECOND, 0)
    shown = views.referral_view(session, only.id, by=SECOND)
    full = views.referral_view(session, only.id, by=FRONT_DOOR, front_door=True)
    assert shown["decision"] == full["decision"] and "possible_duplicate" in full
