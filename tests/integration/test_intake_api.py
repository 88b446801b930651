"""The intake API on the real database (TEST_DATABASE_URL or SQLite), without a broker: validation,
roles, idempotency, identity and the outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_SUBMITTED
from services.common.auth import mint_dev_token
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.tables import AuditEntry, OutboxMessage
from services.demo import sample_nhs_number
from services.intake.main import create_app
from services.intake.referrals import handlers
from services.intake.tables import ReferralRecord
from tests.factories import CANARIES, CANARY_NHS, referral_body, years_ago
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import decided

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture(scope="module")
async def client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(app_settings)  # no lifespan: nothing is published, rows stay in the outbox
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


def auth(settings: Settings, role: str = "referrer", subject: str = "referrer-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=subject, roles=[role])}"}


INVALID = [
    ("missing required field", {"child__given_name": ...}, "child.given_name"),
    ("unknown field", {"child__favourite_colour": "blue"}, "child.favourite_colour"),
    ("unknown enum value", {"impact": "catastrophic"}, "impact"),
    ("bad NHS check digit", {"child__nhs_number": "9434765918"}, "child.nhs_number"),
    ("NHS number not 10 digits", {"child__nhs_number": "12345"}, "child.nhs_number"),
    ("bad UPN check letter", {"child__upn": "C801200005001"}, "child.upn"),
    ("bad postcode", {"child__postcode": "NOT A CODE"}, "child.postcode"),
    ("future date of birth", {"child__date_of_birth": "2999-01-01"}, "child.date_of_birth"),
    ("aged 26 or over", {"child__date_of_birth": years_ago(27)}, "child.date_of_birth"),
    ("reason too short", {"reason": "too short"}, "reason"),
    ("no concerns", {"concerns": []}, "concerns"),
    ("duplicate concerns", {"concerns": ["anxiety", "anxiety"]}, "concerns"),
    ("bad email", {"referrer__email": "not-an-email"}, "referrer.email"),
    ("wrong type", {"consent__child_aware": {"yes": 1}}, "consent.child_aware"),
    ("year group out of range", {"child__education_setting__year_group": 20}, "child.education_setting.year_group"),
    ("client_reference too long", {"client_reference": "x" * 65}, "client_reference"),
    ("NUL in a given name", {"child__given_name": "Quil\u0000lon"}, "child.given_name"),
    ("a bidi override in a family name", {"child__family_name": "\u202eQuillon"}, "child.family_name"),
    ("a referrer's name of one zero-width joiner", {"referrer__name": "\u200d"}, "referrer.name"),
]


@pytest.mark.parametrize(("case", "changes", "field"), INVALID, ids=[c[0] for c in INVALID])
async def test_invalid_field_gets_422_naming_it_without_echoing_input(
    client: httpx.AsyncClient, app_settings: Settings, case: str, changes: dict[str, Any], field: str,
) -> None:
    response = await client.post("/referrals", json=referral_body(**changes), headers=auth(app_settings))
    assert response.status_code == 422, case
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields
    for canary in CANARIES + ["catastrophic", "9434765918", "NOT A CODE", "not-an-email", "favourite_colour\":"]:
        assert canary not in response.text


async def test_every_problem_is_listed_at_once(client: httpx.AsyncClient, app_settings: Settings) -> None:
    body = referral_body(impact="huge", child__postcode="nope", reason="short", concerns=[], channel="fax")
    response = await client.post("/referrals", json=body, headers=auth(app_settings))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "impact", "child.postcode", "reason", "concerns", "channel"}


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b'{"child": 5}', b"{" * 5000])
async def test_malformed_bodies_get_422_never_500(client: httpx.AsyncClient, app_settings: Settings,
                                                  raw: bytes) -> None:
    headers = auth(app_settings) | {"Content-Type": "application/json"}
    response = await client.post("/referrals", content=raw, headers=headers)
    assert response.status_code == 422


async def test_oversized_body_is_refused(client: httpx.AsyncClient, app_settings: Settings) -> None:
    body = referral_body(reason="x" * 300_000)
    response = await client.post("/referrals", json=body, headers=auth(app_settings))
    assert response.status_code == 413


async def test_a_token_is_required_and_roles_are_enforced(client: httpx.AsyncClient, app_settings: Settings) -> None:
    assert (await client.post("/referrals", json=referral_body())).status_code == 401
    forged = {"Authorization": "Bearer forged"}
    assert (await client.post("/referrals", json=referral_body(), headers=forged)).status_code == 401
    other_secret = Settings(dev_token_secret="another-secret-that-is-long-enough-for-hs256")
    assert (await client.post("/referrals", json=referral_body(), headers=auth(other_secret))).status_code == 401
    for role in ("worker:salt", "dsr_panel", "admin"):
        as_role = auth(app_settings, role)
        assert (await client.post("/referrals", json=referral_body(), headers=as_role)).status_code == 403
        assert (await client.get(f"/referrals/{uuid.uuid4()}", headers=auth(app_settings, role))).status_code == 403
    assert (await client.get("/health/live")).status_code == 200


async def test_a_referrer_reads_only_its_own_referrals(client: httpx.AsyncClient, app_settings: Settings) -> None:
    created = await client.post("/referrals", json=referral_body(), headers=auth(app_settings, subject="school-a"))
    assert created.status_code == 201
    rid = created.json()["referral_id"]
    mine = await client.get(f"/referrals/{rid}", headers=auth(app_settings, subject="school-a"))
    assert mine.status_code == 200 and mine.json()["referral"]["child"]["nhs_number"] == CANARY_NHS
    assert mine.json()["status"] == "submitted" and mine.json()["decision"] is None
    theirs = await client.get(f"/referrals/{rid}", headers=auth(app_settings, subject="school-b"))
    assert theirs.status_code == 404
    unknown = await client.get(f"/referrals/{uuid.uuid4()}", headers=auth(app_settings, subject="school-a"))
    assert unknown.status_code == 404
    listing = await client.get("/referrals", headers=auth(app_settings, subject="school-b"))
    assert rid not in listing.text


def outbox_rows(settings: Settings, referral_id: str) -> list[OutboxMessage]:
    with Session(make_engine(settings.database_url)) as s:
        rows = s.exec(select(OutboxMessage)).all()
        return [r for r in rows if r.topic == TOPIC_SUBMITTED and json.loads(r.payload)["referral_id"] == referral_id]


async def test_same_client_reference_gives_the_same_referral_and_one_event(client: httpx.AsyncClient,
                                                                           app_settings: Settings) -> None:
    body = referral_body(client_reference=f"mis-{uuid.uuid4()}")
    first = await client.post("/referrals", json=body, headers=auth(app_settings))
    again = await client.post("/referrals", json=body, headers=auth(app_settings))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["referral_id"] == again.json()["referral_id"]
    assert len(outbox_rows(app_settings, first.json()["referral_id"])) == 1
    changed = await client.post("/referrals", json=body | {"impact": "severe"}, headers=auth(app_settings))
    assert changed.status_code == 409
    # The key belongs to the submitting system: another system may use the same one.
    other = await client.post("/referrals", json=body, headers=auth(app_settings, subject="another-system"))
    assert other.status_code == 201 and other.json()["referral_id"] != first.json()["referral_id"]


async def test_identity_and_history_come_from_the_store(client: httpx.AsyncClient, app_settings: Settings) -> None:
    nhs = sample_nhs_number(21)
    body = referral_body(child__nhs_number=nhs, child__given_name="Robin", child__family_name="Historytest")
    ids = []
    for _ in range(3):
        r = await client.post("/referrals", json=body, headers=auth(app_settings))
        ids.append(r.json())
    assert len({r["child_id"] for r in ids}) == 1
    priors = [json.loads(outbox_rows(app_settings, r["referral_id"])[0].payload)["history"]["prior_referrals_365d"]
              for r in ids]
    assert priors == [0, 1, 2]
    # Same child without the NHS number: matched on demographics. A typo in the name: a new child, flagged.
    no_nhs = await client.post("/referrals", headers=auth(app_settings), json=referral_body(
        child__nhs_number=..., child__given_name="ROBIN", child__family_name="History-Test"))
    assert no_nhs.json()["child_id"] == ids[0]["child_id"]
    typo = await client.post("/referrals", headers=auth(app_settings), json=referral_body(
        child__nhs_number=..., child__given_name="Robni", child__family_name="Historytest"))
    assert typo.json()["child_id"] != ids[0]["child_id"]
    view = await client.get(f"/front-door/referrals/{typo.json()['referral_id']}",
                            headers=auth(app_settings, "front_door"))
    assert view.json()["possible_duplicate"] is True
    # the referrer is not told: a near match is another child's record, perhaps another referrer's referral
    mine = await client.get(f"/referrals/{typo.json()['referral_id']}", headers=auth(app_settings))
    assert mine.status_code == 200 and "possible_duplicate" not in mine.json()


async def test_a_busy_birth_date_never_hides_the_childs_own_record(client: httpx.AsyncClient,
                                                                   app_settings: Settings) -> None:
    """More children born on one day than the near-match cap: the child's NHS number still finds it."""
    from datetime import date, datetime, timezone

    from services.intake.referrals.handlers import NEAR_MATCH_CANDIDATES
    from services.intake.tables import Child

    born = "2013-03-03"
    nhs = sample_nhs_number(31)
    body = referral_body(child__nhs_number=nhs, child__date_of_birth=born)
    first = await client.post("/referrals", json=body, headers=auth(app_settings))
    engine = make_engine(app_settings.database_url)
    with Session(engine) as s:  # others born that day, all recorded after the child
        later = datetime.now(timezone.utc)
        s.add_all([Child(id=uuid.uuid4(), given_key=f"other{i}", family_key="sameday", date_of_birth=date(2013, 3, 3),
                         postcode_key="SS12AB",
                         created_at=later) for i in range(NEAR_MATCH_CANDIDATES + 5)])
        s.commit()
    again = await client.post("/referrals", json=body, headers=auth(app_settings))
    assert again.status_code == 201
    assert again.json()["child_id"] == first.json()["child_id"]


async def test_a_referral_still_undecided_long_after_publishing_is_sent_again(client: httpx.AsyncClient,
                                                                              app_settings: Settings) -> None:
    """The safety net: the very same event (same id, same bytes) goes back in the outbox; a
    decided referral, or one published only a minute ago, is left alone."""
    from datetime import timedelta

    from services.common.db import session_scope
    from services.common.tables import utcnow
    from services.intake.referrals.safety_net import redrive_undecided
    from services.intake.tables import ReferralRecord

    ids = {}
    for name, serial in (("stuck", 41), ("recent", 42), ("decided", 43)):
        body = referral_body(child__nhs_number=sample_nhs_number(serial))
        response = await client.post("/referrals", json=body, headers=auth(app_settings))
        ids[name] = uuid.UUID(response.json()["referral_id"])
    now = utcnow()
    engine = make_engine(app_settings.database_url)
    with Session(engine) as s:
        for name, ago in (("stuck", 20), ("recent", 1), ("decided", 20)):
            record = s.get(ReferralRecord, ids[name])
            assert record is not None
            row = s.get(OutboxMessage, record.event_id)
            assert row is not None
            row.published_at = now - timedelta(minutes=ago)
            if name == "decided":
                record.status = "decided"
            s.add_all([row, record])
        s.commit()
        before = s.get(OutboxMessage, s.get(ReferralRecord, ids["stuck"]).event_id).payload  # type: ignore[union-attr]
    with session_scope(engine) as s:
        sent = redrive_undecided(s, now=now, after=timedelta(minutes=10))
    assert sent == [ids["stuck"]]
    with Session(engine) as s:
        record = s.get(ReferralRecord, ids["stuck"])
        row = s.get(OutboxMessage, record.event_id)  # type: ignore[union-attr]
        assert row is not None and row.published_at is None and row.payload == before
        recent = s.get(OutboxMessage, s.get(ReferralRecord, ids["recent"]).event_id)  # type: ignore[union-attr]
        assert recent is not None and recent.published_at is not None


async def test_reads_and_writes_of_child_records_are_audited(client: httpx.AsyncClient, app_settings: Settings) -> None:
    created = await client.post("/referrals", json=referral_body(), headers=auth(app_settings, subject="auditee"))
    rid = uuid.UUID(created.json()["referral_id"])
    await client.get(f"/referrals/{rid}", headers=auth(app_settings, subject="auditee"))
    with Session(make_engine(app_settings.database_url)) as s:
        actions = s.exec(select(AuditEntry.action).where(col(AuditEntry.referral_id) == rid)).all()
    assert sorted(actions) == ["read", "submit"]


# completing a referral that needs information (PATCH)

async def needing_consent(client: httpx.AsyncClient, settings: Settings, subject: str, *missing: str) -> str:
    body = referral_body(consent={"basis": "none", "child_aware": False})
    created = await client.post("/referrals", json=body, headers=auth(settings, subject=subject))
    record_id = uuid.UUID(created.json()["referral_id"])
    with Session(make_engine(settings.database_url)) as s:
        record = s.get(ReferralRecord, record_id)
        assert record is not None
        handlers.apply_decision(s, decided(record, outcome="needs_information", missing=missing), NOW)
        s.commit()
    return str(record_id)


def patch_headers(settings: Settings, subject: str) -> dict[str, str]:
    return auth(settings, subject=subject) | {"Content-Type": "application/merge-patch+json"}


DEEP = b'{"consent":' * 1000 + b"{}" + b"}" * 1000


async def test_ownership_and_state_are_checked_before_the_body_is_read(client: httpx.AsyncClient,
                                                                       app_settings: Settings) -> None:
    rid = await needing_consent(client, app_settings, "patch-owner", "consent")
    for raw in (DEEP, b"{" * 100_000, b"not json at all"):
        stranger = await client.patch(f"/referrals/{rid}", content=raw, headers=patch_headers(app_settings, "other"))
        assert stranger.status_code == 404, raw[:20]
        unknown = await client.patch(f"/referrals/{uuid.uuid4()}", content=raw,
                                     headers=patch_headers(app_settings, "patch-owner"))
        assert unknown.status_code == 404
    routed = await client.post("/referrals", json=referral_body(), headers=auth(app_settings, subject="patch-owner"))
    waiting = await client.patch(f"/referrals/{routed.json()['referral_id']}", content=DEEP,
                                 headers=patch_headers(app_settings, "patch-owner"))
    assert waiting.status_code == 409  # not waiting for information (undecided): refused before parsing
    deep = await client.patch(f"/referrals/{rid}", content=DEEP, headers=patch_headers(app_settings, "patch-owner"))
    assert deep.status_code == 422  # the owner's 1,000-deep body: a 422, never a 500


async def test_a_patch_changes_only_what_is_missing(client: httpx.AsyncClient, app_settings: Settings) -> None:
    rid = await needing_consent(client, app_settings, "patch-fields", "parental_consent")
    headers = patch_headers(app_settings, "patch-fields")
    nul = await client.patch(f"/referrals/{rid}", json={"child": {"given_name": "Ann\u0000"}}, headers=headers)
    assert nul.status_code == 422
    assert [e["field"] for e in nul.json()["errors"]] == ["child.given_name"]
    both = await client.patch(f"/referrals/{rid}", json={"impact": "severe", "child": {"nhs_number": None},
                                                         "consent": {"basis": "parent_with_pr"}}, headers=headers)
    assert both.status_code == 422
    assert [e["field"] for e in both.json()["errors"]] == ["child.nhs_number", "impact"]
    for canary in CANARIES + ["severe"]:
        assert canary not in nul.text + both.text
    mine = await client.get(f"/referrals/{rid}", headers=auth(app_settings, subject="patch-fields"))
    assert mine.json()["status"] == "decided" and mine.json()["referral"]["child"]["nhs_number"] == CANARY_NHS
    done = await client.patch(f"/referrals/{rid}", json={"consent": {"basis": "parent_with_pr"}}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
