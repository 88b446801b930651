"""The Dynamic Support Register on the real (embedded) broker and the real database: the consumer
keeps it current exactly once, and the meeting's API is for the DSR panel only."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, TOPIC_DSR_CHANGES, TOPIC_OUTCOMES, ReferralSubmitted, ServiceOutcome
from services.common.auth import mint_dev_token
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.workdays import WorkingCalendar
from services.dsr.main import create_app
from services.dsr.tables import DsrEntry
from services.dsr.views import EXPORT_COLUMNS
from services.policy.ruleset import load_ruleset
from services.triage.outputs import triage
from tests.cases import SHARED_CASES, load
from tests.handlers.test_dsr import nhs_number_of
from tests.kafka_tools import eventually, produce_raw, read_events

pytestmark = pytest.mark.integration
RULESET = load_ruleset()


def decision_bytes(case: str, child_id: uuid.UUID, **referral_changes: Any) -> bytes:
    """A triage.decided event for a worked case, for another child (as triage would publish it)."""
    event = load(SHARED_CASES / f"{case}.json")["event"]
    rid = str(uuid.uuid4())
    event = event | {"event_id": str(uuid.uuid4()), "referral_id": rid, "correlation_id": rid,
                     "child_id": str(child_id)}
    event["referral"] = event["referral"] | referral_changes
    # another child is another person: the register matches people by NHS number, else name and date of birth
    event["referral"]["child"] = event["referral"]["child"] | {"nhs_number": nhs_number_of(child_id)}
    decided, _ = triage(ReferralSubmitted.model_validate(event), RULESET, now=datetime.now(timezone.utc))
    return decided.model_dump_json().encode()


class Dsr:
    """The DSR service running in this process (API, consumer, outbox relay)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.app: FastAPI | None = None
        self._lifespan: AbstractAsyncContextManager[Any] | None = None

    async def start(self) -> None:
        self.app = create_app(self.settings)
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()

    async def stop(self) -> None:
        assert self._lifespan is not None
        await self._lifespan.__aexit__(None, None, None)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://dsr")


@pytest.fixture(scope="module")
async def dsr(settings: Settings, topics: dict[str, int]) -> AsyncIterator[Dsr]:
    service = Dsr(settings)
    await service.start()
    yield service
    await service.stop()


def panel(settings: Settings, role: str = "dsr_panel") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject='panel-chair', roles=[role])}"}


def entries_for(settings: Settings, child_id: uuid.UUID) -> list[DsrEntry]:
    with Session(make_engine(settings.database_url)) as s:
        return list(s.exec(select(DsrEntry).where(col(DsrEntry.child_id) == child_id)).all())


async def one_entry(settings: Settings, child_id: uuid.UUID) -> DsrEntry:
    entries = await eventually(lambda: entries_for(settings, child_id), timeout=30)
    assert len(entries) == 1
    return entries[0]


async def test_a_candidate_delivered_three_times_makes_exactly_one_entry(dsr: Dsr, settings: Settings) -> None:
    child = uuid.uuid4()
    body = decision_bytes("dsr-red", child)
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS, [(str(child).encode(), body)] * 3)
    entry = await one_entry(settings, child)
    assert (entry.status, entry.suggested_rating, entry.rating) == ("pending_review", "red", None)
    assert entry.given_name == "Sam" and entry.date_of_birth is not None

    async def created() -> list[dict[str, Any]]:
        changes = await read_events(settings.kafka_bootstrap_servers, TOPIC_DSR_CHANGES)
        return [c for c in changes if c["entry_id"] == str(entry.id)]

    changes = await eventually(created, timeout=20)
    assert [c["event_type"] for c in changes] == ["dsr.entry_created"]
    assert "Sam" not in str(changes)  # ids and states only on the changes topic


async def test_decisions_without_a_candidate_are_ignored(dsr: Dsr, settings: Settings) -> None:
    child, marker = uuid.uuid4(), uuid.uuid4()
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS,
                      [(str(child).encode(), decision_bytes("multi-route", child))])
    # Same key, same partition: once the marker is applied, the decision before it has been consumed.
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS,
                      [(str(child).encode(), decision_bytes("dsr-blue", marker))])
    await one_entry(settings, marker)
    assert entries_for(settings, child) == []


async def test_a_restart_mid_stream_applies_each_decision_once(dsr: Dsr, settings: Settings) -> None:
    children = [uuid.uuid4() for _ in range(6)]
    first = [(str(c).encode(), decision_bytes("dsr-amber-placement", c)) for c in children[:3]]
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS, first)
    await one_entry(settings, children[0])
    await dsr.stop()
    later = [(str(c).encode(), decision_bytes("dsr-amber-placement", c)) for c in children[3:]]
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS, later + first)  # new ones, and redeliveries
    await dsr.start()
    for child in children:
        await one_entry(settings, child)
    assert all(len(entries_for(settings, c)) == 1 for c in children)


async def test_a_higher_suggestion_marks_escalation_and_pulls_the_review_forward(dsr: Dsr, settings: Settings) -> None:
    child = uuid.uuid4()
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS,
                      [(str(child).encode(), decision_bytes("dsr-amber-placement", child))])
    entry = await one_entry(settings, child)
    async with dsr.client() as client:
        review = {
            "rating": "amber", "rationale": "Placement under strain; risks are being managed with extra support.",
            "attendees": [{"name": "Chair", "agency": "ICB"},
                          {"name": "Social worker", "agency": "Children's social care"}],
            "actions": [{"what": "Arrange a multi-agency meeting", "owner_agency": "ICB", "due": "2026-12-04"}],
        }
        response = await client.post(f"/dsr/entries/{entry.id}/reviews", json=review, headers=panel(settings))
        assert response.status_code == 201, response.text
        view = (await client.get(f"/dsr/entries/{entry.id}", headers=panel(settings))).json()
        assert view["rating"] == "amber" and view["next_review_due"] > date.today().isoformat()
        assert {t["kind"] for t in view["tasks"]} >= {"mdt_or_cetr"}
        assert view["rating_history"][0]["rationale"].startswith("Placement under strain")

        await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS,
                          [(str(child).encode(), decision_bytes("dsr-red", child))])

        async def escalated() -> dict[str, Any] | None:
            v = (await client.get(f"/dsr/entries/{entry.id}", headers=panel(settings))).json()
            return v if v["escalation_suggested"] else None

        view = await eventually(escalated, timeout=30)
        tomorrow = WorkingCalendar().nth_working_day_after(WorkingCalendar().local_day(datetime.now(timezone.utc)), 1)
        assert view["next_review_due"] == tomorrow.isoformat()
        assert view["rating"] == "amber" and view["suggested_rating"] == "red"  # only a meeting sets the rating
        agenda = (await client.get("/dsr/agenda", headers=panel(settings))).json()
        assert str(entry.id) in [a["entry_id"] for a in agenda]

        outcome = ServiceOutcome(
            event_id=uuid.uuid4(), occurred_at=datetime.now(timezone.utc), event_type="service_request.accepted",
            service_request_id=uuid.uuid4(), referral_id=uuid.uuid4(), child_id=child, service="semh", by="semh-worker",
        )
        await produce_raw(settings.kafka_bootstrap_servers, TOPIC_OUTCOMES,
                          [(str(child).encode(), outcome.model_dump_json().encode())])

        async def on_timeline() -> bool:
            v = (await client.get(f"/dsr/entries/{entry.id}", headers=panel(settings))).json()
            accepted = "Mental health (SEMH): accepted"
            return any(t["kind"] == "service_outcome" and t["summary"] == accepted for t in v["timeline"])

        assert await eventually(on_timeline, timeout=30)


async def test_the_api_refuses_every_role_but_the_dsr_panel(dsr: Dsr, settings: Settings) -> None:
    entry_id = uuid.uuid4()
    calls = [
        ("GET", "/dsr/agenda", None), ("GET", f"/dsr/entries/{entry_id}", None), ("GET", "/dsr/export.csv", None),
        ("GET", "/dsr/counts", None), ("POST", f"/dsr/entries/{entry_id}/reviews", {}),
        ("POST", f"/dsr/entries/{entry_id}/consent", {}), ("POST", f"/dsr/entries/{entry_id}/consent/withdraw", None),
        ("POST", f"/dsr/entries/{entry_id}/close", {"reason": "other"}),
    ]
    async with dsr.client() as client:
        for method, path, body in calls:
            assert (await client.request(method, path, json=body)).status_code == 401, path
            for role in ("referrer", "worker:semh", "worker:safeguarding", "admin", "manager"):
                response = await client.request(method, path, json=body, headers=panel(settings, role))
                assert response.status_code == 403, (path, role)


async def test_a_review_without_a_rationale_gets_a_clear_422(dsr: Dsr, settings: Settings) -> None:
    child = uuid.uuid4()
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS,
                      [(str(child).encode(), decision_bytes("dsr-red", child))])
    entry = await one_entry(settings, child)
    async with dsr.client() as client:
        for rationale in (None, "", "   ", "too short"):
            body = {"rating": "red", "attendees": [{"name": "Chair", "agency": "ICB"}]}
            if rationale is not None:
                body["rationale"] = rationale
            response = await client.post(f"/dsr/entries/{entry.id}/reviews", json=body, headers=panel(settings))
            assert response.status_code == 422
            assert [e["field"] for e in response.json()["errors"]] == ["rationale"]
        view = (await client.get(f"/dsr/entries/{entry.id}", headers=panel(settings))).json()
        assert view["reviews"] == [] and view["rating"] is None


async def test_review_needs_consent_and_withdrawal_closes_and_suppresses(dsr: Dsr, settings: Settings) -> None:
    child = uuid.uuid4()
    needs_consent = decision_bytes("dsr-consent-needed", child)
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS, [(str(child).encode(), needs_consent)])
    entry = await one_entry(settings, child)
    assert entry.status == "pending_consent"
    review = {"rating": "green", "rationale": "Risks managed well at home.",
              "attendees": [{"name": "Chair", "agency": "ICB"}]}
    async with dsr.client() as client:
        assert (await client.post(f"/dsr/entries/{entry.id}/reviews", json=review,
                                  headers=panel(settings))).status_code == 409
        consent = {"basis": "parent_with_pr", "given_by": "Parent"}
        assert (await client.post(f"/dsr/entries/{entry.id}/consent", json=consent,
                                  headers=panel(settings))).json()["status"] == "pending_review"
        assert (await client.post(f"/dsr/entries/{entry.id}/reviews", json=review,
                                  headers=panel(settings))).status_code == 201
        assert (await client.post(f"/dsr/entries/{entry.id}/consent/withdraw",
                                  headers=panel(settings))).json()["status"] == "closed"
        view = (await client.get(f"/dsr/entries/{entry.id}", headers=panel(settings))).json()
        assert view["name"].startswith("(suppressed") and "date_of_birth" not in view
        agenda = (await client.get("/dsr/agenda", headers=panel(settings))).json()
        assert str(entry.id) not in [a["entry_id"] for a in agenda]


async def test_the_csv_export_has_one_row_per_open_entry_and_no_free_text(dsr: Dsr, settings: Settings) -> None:
    child = uuid.uuid4()
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_DECISIONS,
                      [(str(child).encode(), decision_bytes("dsr-blue", child))])
    entry = await one_entry(settings, child)
    async with dsr.client() as client:
        response = await client.get("/dsr/export.csv", headers=panel(settings))
        closed = await client.post(f"/dsr/entries/{entry.id}/close", json={"reason": "moved_out_of_area"},
                                   headers=panel(settings))
        after = await client.get("/dsr/export.csv", headers=panel(settings))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == EXPORT_COLUMNS
    with Session(make_engine(settings.database_url)) as s:
        open_ids = {str(e.id) for e in s.exec(select(DsrEntry).where(col(DsrEntry.status) != "closed")).all()}
    assert sorted(r["entry_id"] for r in rows) == sorted(open_ids | {str(entry.id)})
    assert len({r["entry_id"] for r in rows}) == len(rows)
    assert not any(column in EXPORT_COLUMNS
                   for column in ("given_name", "family_name", "rationale", "reason", "summary"))
    assert "Sam" not in response.text and "Example" not in response.text
    assert closed.status_code == 200 and str(entry.id) not in after.text


async def test_counts_by_rating_per_week(dsr: Dsr, settings: Settings) -> None:
    async with dsr.client() as client:
        weeks = (await client.get("/dsr/counts?weeks=4", headers=panel(settings))).json()
    assert len(weeks) == 4
    assert weeks[-1]["amber"] >= 1 and weeks[-1]["green"] == 0  # the amber review above; the green one was withdrawn
    assert set(weeks[-1]) == {"week_ending", "red", "amber", "green", "blue", "unrated"}
