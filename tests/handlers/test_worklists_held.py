"""MASH's decision on held requests one at a time (issue 20, item 2): release or decline the chosen requests of a
referral (a decline needs a reason, kept with the request; the service and the referrer are told only that MASH
declined it), a request decided already is a 409 in words and changes nothing, a request of another referral is
not found; callers sending no ids decide all, as before. The API in-process on migrated SQLite, and the pure
wording of a refusal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.common.tables import OutboxMessage
from services.worklists import rules, views
from services.worklists.domain import MASH_SIGNPOST
from services.worklists.handlers import HeldRequestNotFoundError, decide_held
from services.worklists.main import create_app
from services.worklists.rules import ActionRefusedError
from services.worklists.tables import WorklistItem
from tests.handlers.conftest import NOW
from tests.handlers.test_worklists import outcomes, put

WHY = "Police are already involved; the family is supported by the social worker"


def held_referral(session: Session) -> tuple[uuid.UUID, WorklistItem, WorklistItem, WorklistItem]:
    referral = uuid.uuid4()
    mash = put(session, "safeguarding", referral_id=referral)
    semh, early = (put(session, s, held=True, referral_id=referral) for s in ("semh", "early_help"))
    return referral, mash, semh, early


def test_mash_releases_one_held_request_and_declines_another_with_a_reason(session: Session) -> None:
    referral, _, semh, early = held_referral(session)
    assert decide_held(session, referral, "release", by="mash-1", now=NOW, reason=None, request_ids=[semh.id]) == 1
    assert (semh.held, early.held) == (False, True)  # only the chosen one
    assert decide_held(session, referral, "decline", by="mash-1", now=NOW, reason=WHY, request_ids=[early.id]) == 1
    session.commit()
    assert (semh.status, semh.held, early.status, early.held, early.outcome_reason) == (
        "created", False, "declined", True, WHY)
    events = outcomes(session)
    assert [(e.event_type.value, e.service.value, e.reason, e.signpost) for e in events] == [
        ("service_request.released", "semh", None, None),
        ("service_request.declined", "early_help", WHY, MASH_SIGNPOST)]
    assert views.view(session, "semh", semh.id, NOW)["details"]["given_name"] == "Sam"  # released: in full
    declined = views.view(session, "early_help", early.id, NOW)  # declined while held: never the child's details
    assert declined["mash_decides_first"] is True and "details" not in declined and "child" not in declined


@pytest.mark.parametrize(("status", "held", "words"), [
    ("created", False, "This request has already been released"),
    ("accepted", False, "This request has already been released"),
    ("declined", True, "This request has already been declined"),
    ("redirected", True, "This request has already been redirected"),
    ("withdrawn", True, "This request has already been withdrawn"),
])
def test_a_request_decided_already_is_refused_in_words_and_nothing_changes(
    session: Session, status: str, held: bool, words: str,
) -> None:
    referral, _, semh, early = held_referral(session)
    semh.status, semh.held = status, held
    session.commit()
    with pytest.raises(ActionRefusedError) as refused:
        decide_held(session, referral, "release", by="mash-2", now=NOW, reason=None, request_ids=[early.id, semh.id])
    assert str(refused.value) == words == rules.held_refusal(status=status, held=held)
    session.rollback()
    assert early.held is True and session.exec(select(OutboxMessage)).all() == []


def test_a_still_held_request_has_no_refusal() -> None:
    assert rules.held_refusal(status="created", held=True) is None


def test_a_request_of_another_referral_or_none_at_all_is_not_found(session: Session) -> None:
    referral, *_ = held_referral(session)
    _, _, elsewhere, _ = held_referral(session)
    for request_id in (elsewhere.id, uuid.uuid4()):
        with pytest.raises(HeldRequestNotFoundError):
            decide_held(session, referral, "release", by="mash-1", now=NOW, reason=None, request_ids=[request_id])
    assert elsewhere.held is True


# the API


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    settings = Settings(database_url=str(engine.url))
    token = mint_dev_token(settings, subject="mash-1", roles=["worker:safeguarding"], ttl_seconds=300)
    transport = httpx.ASGITransport(app=create_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://worklists.test") as client:
        yield client, {"Authorization": f"Bearer {token}"}


async def post(api: tuple[httpx.AsyncClient, dict[str, str]],
               referral: uuid.UUID, body: dict[str, Any]) -> httpx.Response:
    client, headers = api
    return await client.post(f"/worklists/safeguarding/referrals/{referral}/held", json=body, headers=headers)


async def test_the_api_decides_the_chosen_requests_and_refuses_a_second_decision_with_409(
    api: Any, session: Session,
) -> None:
    referral, _, semh, early = held_referral(session)
    released = await post(api, referral, {"decision": "release", "request_ids": [str(semh.id)]})
    assert released.status_code == 200 and released.json()["requests"] == 1
    again = await post(api, referral, {"decision": "release", "request_ids": [str(semh.id)]})
    assert (again.status_code, again.json()["title"]) == (409, "This request has already been released")
    elsewhere = await post(api, uuid.uuid4(), {"decision": "release", "request_ids": [str(early.id)]})
    assert elsewhere.status_code == 404
    session.expire_all()
    assert session.get(WorklistItem, early.id).held is True  # type: ignore[union-attr]


async def test_a_decline_without_a_reason_is_a_422_on_the_reason(api: Any, session: Session) -> None:
    referral, _, _, early = held_referral(session)
    for body in ({"decision": "decline", "request_ids": [str(early.id)]},
                 {"decision": "decline", "reason": "  ", "request_ids": [str(early.id)]}):
        refused = await post(api, referral, body)
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    session.expire_all()
    assert session.get(WorklistItem, early.id).status == "created"  # type: ignore[union-attr]


async def test_without_ids_the_api_decides_every_held_request_as_before(api: Any, session: Session) -> None:
    referral, mash, semh, early = held_referral(session)
    done = await post(api, referral, {"decision": "decline", "reason": WHY})
    assert done.json() == {"decision": "decline", "requests": 2}
    session.expire_all()
    assert [session.get(WorklistItem, i.id).status for i in (mash, semh, early)] == [  # type: ignore[union-attr]
        "created", "declined", "declined"]
