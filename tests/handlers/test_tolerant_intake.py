"""Tolerant where a person types (issue 13): intake's API takes a referral as a person or their system sends it
(white space around text, "5" for year 5, "yes" for a yes/no, a spaced NHS number), keeps the tidy form, and
queues an event that the strict wire decoder of every consumer accepts. What cannot be tidied is a 422 naming the
field. The OpenAPI document says so. In-process on migrated SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import ReferralSubmitted
from services.common.auth import mint_dev_token
from services.common.consuming import event_adapter
from services.common.settings import Settings
from services.common.tables import OutboxMessage
from services.intake.main import create_app as intake_app
from services.intake.tables import ReferralRecord
from tests.factories import CANARY_NHS, CANARY_REASON, referral_body
from tests.handlers.intake_support import BY

TYPED = {
    "child__given_name": "  Quillon ",
    "child__education_setting__year_group": "5",
    "child__education_setting__has_mhst": "yes",
    "consent__child_aware": "true",
    "reason": CANARY_REASON + "\n",
    "child__postcode": " ss7 3qz",
    "child__nhs_number": f"{CANARY_NHS[:3]} {CANARY_NHS[3:6]} {CANARY_NHS[6:]}",
}


@pytest.fixture
def api(engine: Engine) -> Iterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    settings = Settings(database_url=str(engine.url))
    app = intake_app(settings, engine=engine)
    headers = {"Authorization": f"Bearer {mint_dev_token(settings, subject=BY.subject, roles=['referrer'])}"}
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake"), headers


async def test_a_referral_typed_loosely_is_accepted_kept_tidy_and_queued_valid_for_the_wire(
    api: Any, engine: Engine,
) -> None:
    client, headers = api
    async with client:
        answer = await client.post("/referrals", json=referral_body(**TYPED), headers=headers)
    assert answer.status_code == 201, answer.text
    with Session(engine) as session:
        stored = session.exec(select(ReferralRecord)).one().referral
        queued = session.exec(select(OutboxMessage)).one().payload
    assert stored["child"]["given_name"] == "Quillon" and stored["reason"] == CANARY_REASON
    assert stored["child"]["education_setting"]["year_group"] == 5
    assert (stored["child"]["postcode"], stored["child"]["nhs_number"]) == ("SS7 3QZ", CANARY_NHS)
    event = event_adapter(ReferralSubmitted).validate_json(queued)  # as triage decodes it: strictly
    assert event.referral.child.education_setting is not None
    assert event.referral.child.education_setting.has_mhst is True
    assert event.referral.consent.child_aware is True


async def test_what_cannot_be_tidied_is_a_422_naming_the_field_not_the_value(api: Any) -> None:
    client, headers = api
    async with client:
        answer = await client.post("/referrals", headers=headers, json=referral_body(
            child__education_setting__year_group="five", child__given_name="   "))
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"child.education_setting.year_group", "child.given_name"}
    assert "five" not in answer.text


async def test_the_openapi_document_says_the_referral_is_tolerant_input(engine: Engine) -> None:
    app = intake_app(Settings(database_url=str(engine.url)), engine=engine)
    operation = app.openapi()["paths"]["/referrals"]["post"]
    assert "Tolerant input" in operation["description"]
    assert "trimmed" in json.dumps(operation)
