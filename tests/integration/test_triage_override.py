"""Triage applies a person's decision on the real (embedded) broker: a `referral.override_requested`
in, `triage.overridden` on the decisions topic, a `service_request.created` per added route on its
service's queue and a `service_request.withdrawn` per request taken away on the outcomes topic; the
same request delivered three times gives the very same events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from schemas import (
    TOPIC_DECISIONS,
    TOPIC_OUTCOMES,
    TOPIC_SUBMITTED,
    OverrideRequested,
    ReferralSubmitted,
    RouteChange,
    TriageDecision,
    queue_topic,
)
from schemas.enums import Priority, Service
from services.common.broker import event_headers, start_broker
from services.common.ids import derived_id
from services.common.settings import Settings
from services.policy.ruleset import load_ruleset
from services.triage.main import build_broker
from services.triage.outputs import triage
from tests.cases import SHARED_CASES, load
from tests.kafka_tools import eventually, produce_raw, read_events

pytestmark = pytest.mark.integration
RULESET = load_ruleset()


@pytest.fixture(scope="module")
async def running_triage(settings: Settings, topics: dict[str, int]) -> AsyncIterator[KafkaBroker]:
    broker = build_broker(settings, RULESET)
    await start_broker(broker, timeout=30)
    yield broker
    await broker.stop()


def override_requested() -> OverrideRequested:
    """A person's decision on a referral triage routed to SEMH, SALT and early help (for a child of its
    own): SALT up to urgent, early help withdrawn, counselling added."""
    rid, child = uuid.uuid4(), uuid.uuid4()
    submitted = ReferralSubmitted.model_validate(load(SHARED_CASES / "multi-route.json")["event"] | {
        "event_id": str(uuid.uuid4()), "referral_id": str(rid), "correlation_id": str(rid), "child_id": str(child)})
    decided, _ = triage(submitted, RULESET, now=datetime.now(timezone.utc))
    open_ = {r.service.value: r.service_request_id for r in decided.routes}
    return OverrideRequested(
        event_id=uuid.uuid4(), occurred_at=datetime.now(timezone.utc), correlation_id=rid, referral_id=rid,
        child_id=child, submitted_at=submitted.submitted_at, referral=submitted.referral,
        current=TriageDecision.model_validate(decided.model_dump(include=set(TriageDecision.model_fields))),
        supersedes=decided.event_id, decided_by="fd-practitioner",
        rationale="The speech concern is urgent; early help is already involved through the school.",
        disagreed_with=["early_help.family_support"],
        changes=[RouteChange(kind="change_priority", service_request_id=open_["salt"], priority=Priority.urgent),
                 RouteChange(kind="withdraw_route", service_request_id=open_["early_help"]),
                 RouteChange(kind="add_route", service=Service.counselling, pathway="individual",
                             priority=Priority.routine)],
    )


async def of_referral(settings: Settings, topic: str, referral_id: uuid.UUID) -> list[dict[str, Any]]:
    return [e for e in await read_events(settings.kafka_bootstrap_servers, topic)
            if e.get("referral_id") == str(referral_id)]


async def test_a_persons_decision_delivered_three_times_gives_the_same_three_kinds_of_event(
    running_triage: KafkaBroker, settings: Settings,
) -> None:
    event = override_requested()
    record = (str(event.child_id).encode(), event.model_dump_json().encode())
    headers = [(k, v.encode()) for k, v in event_headers(event, source="/frontdoor/intake").items()]
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_SUBMITTED, [record] * 3, headers=headers)

    async def three(topic: str, events: int = 1) -> list[dict[str, Any]] | None:
        found = await of_referral(settings, topic, event.referral_id)
        return found if len(found) >= 3 * events else None

    decisions = await eventually(lambda: three(TOPIC_DECISIONS), timeout=60)
    salt = await eventually(lambda: three(queue_topic("salt")), timeout=30)
    counselling = await eventually(lambda: three(queue_topic("counselling")), timeout=30)
    withdrawn = await eventually(lambda: three(TOPIC_OUTCOMES, events=2), timeout=30)  # salt's old one, early help

    assert len(decisions) == len(salt) == len(counselling) == 3
    assert {e["event_type"] for e in decisions} == {"triage.overridden"}
    assert {e["event_id"] for e in decisions} == {str(derived_id(event.event_id, "triage.overridden"))}
    decision = decisions[0]
    assert (decision["outcome"], decision["decided_by"], decision["supersedes"]) == (
        "routed", "fd-practitioner", str(event.supersedes))
    assert sorted((r["service"], r["priority"]) for r in decision["routes"]) == [
        ("counselling", "routine"), ("salt", "urgent"), ("semh", "routine")]
    assert decision["explanation"][-1]["rule_id"] == "front_door.decision"

    for requests, service, priority in ((salt, "salt", "urgent"), (counselling, "counselling", "routine")):
        assert len({r["event_id"] for r in requests}) == 1, service  # three deliveries, one event
        assert {(r["event_type"], r["priority"], r["held"]) for r in requests} == {
            ("service_request.created", priority, False)}
        in_decision = next(r for r in decision["routes"] if r["service"] == service)
        assert requests[0]["service_request_id"] == in_decision["service_request_id"]
    assert "nhs_number" not in {k for k, v in counselling[0]["details"].items() if v is not None}  # minimised

    taken_away = {r.service.value: str(r.service_request_id) for r in event.current.routes if r.service != Service.semh}
    assert len(withdrawn) == 6
    assert {e["event_id"] for e in withdrawn} == {
        str(derived_id(event.event_id, "service_request.withdrawn", request)) for request in taken_away.values()}
    assert {(e["event_type"], e["service"], e["service_request_id"], e["by"]) for e in withdrawn} == {
        ("service_request.withdrawn", service, request, "fd-practitioner") for service, request in taken_away.items()}
    semh = await of_referral(settings, queue_topic("semh"), event.referral_id)
    assert semh == []  # a route the person left alone is not sent again
