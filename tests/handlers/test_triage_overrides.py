"""Triage's handler given a person's decision (`referral.override_requested`): a record's bytes in, the
new decision, the requests it adds and the withdrawals of the requests it takes away out."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError

from schemas import OverrideRequested, ReferralSubmitted, TriageDecision, TriageOverridden
from schemas.enums import OutcomeEventType, Service
from services.common.transient import is_transient
from services.policy.golden import GOLDEN_CASES
from services.policy.ruleset import load_ruleset
from services.triage.handlers import decide_record
from services.triage.outputs import triage
from services.triage.overrides import apply_override
from tests.handlers.conftest import NOW

RULESET = load_ruleset()
MULTI = ReferralSubmitted.model_validate(json.loads((GOLDEN_CASES / "multi-route.json").read_text())["event"])


def override_body(**fields: object) -> dict[str, object]:
    decided, _ = triage(MULTI, RULESET, now=NOW)
    salt = next(r.service_request_id for r in decided.routes if r.service == Service.salt)
    return {
        "event_type": "referral.override_requested", "schema_version": 1, "event_id": str(uuid.uuid4()),
        "occurred_at": NOW.isoformat(),
        "referral_id": str(MULTI.referral_id), "child_id": str(MULTI.child_id),
        "submitted_at": MULTI.submitted_at.isoformat(), "referral": MULTI.referral.model_dump(mode="json"),
        "current": decided.model_dump(mode="json", include=set(TriageDecision.model_fields)),
        "supersedes": str(decided.event_id), "decided_by": "fd-practitioner",
        "rationale": "Speech is the main concern; the family asked for help sooner.",
        "changes": [{"kind": "change_priority", "service_request_id": str(salt), "priority": "urgent"},
                    {"kind": "add_route", "service": "counselling", "pathway": "individual", "priority": "routine"}],
        **fields,
    }


def test_a_persons_decision_is_applied_with_its_requests_and_withdrawals() -> None:
    body = override_body()
    decided, requests, withdrawn = decide_record(json.dumps(body).encode(), RULESET)
    assert isinstance(decided, TriageOverridden)
    assert (decided, requests, withdrawn) == apply_override(OverrideRequested.model_validate(body), RULESET, now=NOW)
    assert [(r.service.value, r.priority.value) for r in requests] == [("salt", "urgent"), ("counselling", "routine")]
    assert [(w.event_type, w.service) for w in withdrawn] == [(OutcomeEventType.withdrawn, Service.salt)]


def test_the_same_decision_delivered_again_yields_the_very_same_events() -> None:
    body = json.dumps(override_body()).encode()
    assert decide_record(body, RULESET) == decide_record(body, RULESET)


@pytest.mark.parametrize("change", [
    {"rationale": "too short"},
    {"changes": []},
    {"changes": [{"kind": "close"}]},  # a close needs its signpost
    {"decided_by": ""},
])
def test_an_invalid_decision_raises_a_permanent_error(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        decide_record(json.dumps(override_body(**change)).encode(), RULESET)
    assert not is_transient(caught.value)  # the consumer sends it to the DLQ rather than retrying
