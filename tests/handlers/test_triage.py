"""Triage's one handler, called directly: a record's bytes in, the decision and its requests out."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError

from schemas import ReferralRedirected, ReferralSubmitted
from schemas.enums import Service
from services.common.transient import is_transient
from services.policy.golden import GOLDEN_CASES
from services.policy.ruleset import load_ruleset
from services.triage.handlers import decide_record
from services.triage.outputs import triage

RULESET = load_ruleset()
MULTI = json.loads((GOLDEN_CASES / "multi-route.json").read_text())["event"]


def test_a_referral_is_decided_with_a_request_per_route() -> None:
    decided, requests, withdrawn = decide_record(json.dumps(MULTI).encode(), RULESET)
    event = ReferralSubmitted.model_validate(MULTI)
    assert (decided, requests) == triage(event, RULESET, now=event.occurred_at)  # the input's time, not the clock
    assert withdrawn == []  # only a person's decision takes a request away
    assert len(requests) == len(decided.routes) > 1
    assert {r.service_request_id for r in requests} == {r.service_request_id for r in decided.routes}


def test_a_redelivered_record_yields_the_very_same_events() -> None:
    body = json.dumps(MULTI).encode()
    assert decide_record(body, RULESET) == decide_record(body, RULESET)


def test_a_redirect_is_decided_again_for_its_target_service_only() -> None:
    decided, _, _ = decide_record(json.dumps(MULTI).encode(), RULESET)
    source = decided.routes[0]
    target = next(s for s in Service if s not in {r.service for r in decided.routes})
    redirect = ReferralRedirected.model_validate(MULTI | {
        "event_type": "referral.redirected", "event_id": str(uuid.uuid4()),
        "redirect": {"from_service": source.service, "from_request_id": str(source.service_request_id),
                     "to_service": target},
    })
    again, requests, _ = decide_record(redirect.model_dump_json().encode(), RULESET)
    assert again.redirect_of == source.service_request_id
    assert [r.service for r in again.routes] == [r.service for r in requests] == [target]


@pytest.mark.parametrize("body", [
    b"not json {",
    json.dumps(MULTI | {"event_type": "referral.withdrawn"}).encode(),
    json.dumps({"event_type": "referral.submitted", "referral": {}}).encode(),
])
def test_a_bad_record_raises_a_permanent_error(body: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        decide_record(body, RULESET)
    assert not is_transient(caught.value)  # the consumer sends it to the DLQ rather than retrying
