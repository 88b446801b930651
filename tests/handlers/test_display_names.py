"""Issue 22, item 7: people, not login ids. A person's display name comes with their token (the standard `name`
claim), is stored with what they do (outcome events' `by_name`, a person's decision's `decided_by_name`) and is
shown with their team on the records people read: "Kim Evans, Speech and language therapy". A referrer sees the team
only; an old event without a name still decodes and shows the team; a login id is never shown as a name."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from schemas import ServiceOutcome
from schemas.events import CONTRACT_VERSION, DsrChanged, OverrideRequested
from services.common.auth import Principal, TokenVerifier, mint_dev_token, principal_of
from services.common.consuming import event_adapter
from services.common.settings import Settings
from services.contracts import ASYNCAPI, JSON_DIR
from services.dsr import handlers as handlers_dsr
from services.dsr import views as dsr_views
from services.intake.referrals import handlers, views
from services.worklists.handlers import act
from tests.handlers import test_dsr
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import BY, decided, outcome, requests_of, route, submit
from tests.handlers.portal_standins import StandIn, sign_in, told_which_model
from tests.handlers.test_intake_override import overridden, requested
from tests.handlers.test_portal_emergency import portal_with
from tests.handlers.test_referral_statuses import REFERRAL_ID, priority_changed, referral_page_view, words
from tests.handlers.test_worklists import outcomes, put

SETTINGS = Settings(database_url="sqlite://")
KIM = "Kim Evans"
DANA = Principal(subject="front-door-hub", roles=frozenset({"front_door"}), name="Dana Wright")


def test_a_dev_token_carries_the_persons_name_and_the_principal_reads_it() -> None:
    verifier = TokenVerifier(SETTINGS)
    named = mint_dev_token(SETTINGS, subject="worker-salt", roles=["worker:salt"], name=KIM)
    assert jwt.decode(named, options={"verify_signature": False})["name"] == KIM  # the standard OIDC claim
    assert verifier.verify(named).name == KIM
    assert verifier.verify(mint_dev_token(SETTINGS, subject="worker-salt", roles=["worker:salt"])).name is None


@pytest.mark.parametrize("name", [5, ["Kim"], "", "   ", "Kim\x00Evans", "K" * 201])
def test_a_name_claim_that_is_not_a_name_is_left_out_not_refused(name: Any) -> None:
    principal = principal_of({"sub": "worker-salt", "roles": ["worker:salt"], "name": name}, "roles")
    assert (principal.subject, principal.name) == ("worker-salt", None)


def test_a_workers_action_carries_their_name_on_the_outcome_event(session: Session) -> None:
    item = put(session)
    done = act(session, "salt", item.id, "accept", by="worker-salt", by_name=KIM, now=NOW)
    session.commit()
    [event] = outcomes(session)
    assert (event.by, event.by_name, done.actor_name) == ("worker-salt", KIM, KIM)


def accepted(session: Session, **fields: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A referral whose SALT request was accepted; the front door's and the referrer's views of it."""
    record = submit(session)
    handlers.apply_decision(session, decided(record, route("salt")), NOW)
    [request] = requests_of(session, record)
    handlers.apply_outcome(session, outcome(request, "accepted", **fields), NOW)
    session.commit()
    return (record, views.referral_view(session, record.id, by=DANA, front_door=True),
            views.referral_view(session, record.id, by=BY))


def test_the_front_door_sees_who_did_it_and_their_team_the_referrer_the_team_only(session: Session) -> None:
    _, front_door, referrer = accepted(session, by_name=KIM)
    [line] = [t for t in front_door["timeline"] if t["kind"] == "accepted"]
    assert line["by"] == f"{KIM}, Speech and language therapy"
    [line] = [t for t in referrer["timeline"] if t["kind"] == "accepted"]
    assert line["by"] == "Speech and language therapy"
    assert KIM not in json.dumps(referrer) and "worker-1" not in json.dumps(referrer)


def test_an_old_outcome_without_a_name_shows_the_team(session: Session) -> None:
    _, front_door, _ = accepted(session)
    [line] = [t for t in front_door["timeline"] if t["kind"] == "accepted"]
    assert line["by"] == "Speech and language therapy"
    assert "worker-1" not in json.dumps(front_door["timeline"])


def test_a_persons_decision_keeps_their_name_and_the_referrer_reads_the_front_door(session: Session) -> None:
    record, _ = priority_changed(session, DANA)
    [sent] = requested(session)
    assert isinstance(sent, OverrideRequested) and sent.decided_by_name == "Dana Wright"
    handlers.apply_override(session, overridden(sent, route("salt", priority="urgent")), NOW)
    session.commit()
    front_door = views.referral_view(session, record.id, by=DANA, front_door=True)
    assert [d["decided_by_name"] for d in front_door["front_door_decisions"]] == ["Dana Wright"]
    assert {t["by"] for t in front_door["timeline"] if t["kind"].startswith("front_door")} == {
        "Dana Wright, front door"}
    referrer = views.referral_view(session, record.id, by=BY)
    assert {t["by"] for t in referrer["timeline"] if t["kind"].startswith("front_door")} == {"the front door"}
    assert "front-door-hub" not in json.dumps(referrer["timeline"])
    assert "Dana Wright" not in json.dumps(referrer)  # the referrer sees the team, not who on it


def test_a_dsr_review_keeps_who_recorded_it_by_name(session: Session) -> None:
    entry = test_dsr.new_entry(session, rating="amber")
    handlers_dsr.record_review(session, entry.id, test_dsr.review("red"), by="dsr-chair", by_name="Alex Morgan",
                               clock=test_dsr.CLOCK)
    session.commit()
    shown = dsr_views.entry_view(session, entry.id, test_dsr.CLOCK)
    assert [r["by_name"] for r in shown["reviews"]] == ["Alex Morgan"]
    assert [r["by_name"] for r in shown["rating_history"]] == ["Alex Morgan"]
    assert [t["by"] for t in shown["timeline"] if t["kind"] == "review"] == ["Alex Morgan, DSR meeting"]
    assert {c["by_name"] for c in test_dsr.changes(session) if c["event_type"] != "dsr.entry_created"} == {
        "Alex Morgan"}


def test_a_named_outcome_on_the_register_timeline_says_who(session: Session) -> None:
    entry = test_dsr.new_entry(session, rating="amber")
    done = test_dsr.outcome(entry.child_id).model_copy(update={"by_name": KIM, "service": "salt"})
    assert handlers_dsr.apply_outcome(session, done, NOW)
    session.commit()
    shown = dsr_views.entry_view(session, entry.id, test_dsr.CLOCK)
    assert [t["by"] for t in shown["timeline"] if t["kind"] == "service_outcome"] == [
        f"{KIM}, Speech and language therapy"]


# the portal's pages

class Tokens(StandIn):
    """The stand-in services, also keeping the claims of each token the portal sent."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        self.claims.append(jwt.decode(token, options={"verify_signature": False}))
        return super().handle(request)


@pytest.fixture
def tokens() -> Iterator[Tokens]:
    with told_which_model():
        yield Tokens()


async def test_a_seeded_worker_is_a_person_with_their_team_and_the_services_get_their_name(
        engine: Engine, tokens: Tokens) -> None:
    async with portal_with(engine, tokens) as client:
        await sign_in(client, "worker-salt")
        page = (await client.get("/work/salt")).text
    assert "Signed in as Kim Evans (Speech and language therapy)" in words(page)
    assert {(c["sub"], c.get("name")) for c in tokens.claims} == {("worker-salt", KIM)}


async def test_the_front_doors_page_of_a_referral_names_people_never_login_ids(engine: Engine, tokens: Tokens) -> None:
    view = referral_page_view(by=f"{KIM}, Speech and language therapy") | {"possible_duplicate": False}
    decision = view["decision"] | {"decided_by": "front-door-hub", "decided_by_name": "Dana Wright",
                                   "supersedes": str(uuid.uuid4()), "rationale": "Stammering is much worse.",
                                   "disagreed_with": [], "signpost": None,
                                   "changes": [{"kind": "close", "signpost": "the school nurse"}]}
    shown = {"decision_id": str(uuid.uuid4()), "decided_by": "front-door-hub", "decided_by_name": "Dana Wright",
             "decided_at": "2026-12-02T10:00:00+00:00", "rationale": "Stammering is much worse.", "disagreed_with": [],
             "changes": decision["changes"], "summary": "closed the referral", "status": "applied"}
    tokens.on("GET", f"/front-door/referrals/{REFERRAL_ID}", 200,
              view | {"decision": decision, "front_door_decisions": [shown]})
    async with portal_with(engine, tokens) as client:
        await sign_in(client, "front-door-hub")
        text = words((await client.get(f"/front-door/referrals/{REFERRAL_ID}")).text)
    assert "by Dana Wright, front door" in text and "2 December 2026, 10am, Dana Wright" in text
    assert f"— by {KIM}, Speech and language therapy" in text
    assert "front-door-hub" not in text


def test_the_exported_contract_is_1_2_or_later_with_the_optional_names() -> None:
    assert tuple(map(int, CONTRACT_VERSION.split("."))) >= (1, 2, 0)  # 1.2 or a later minor version
    doc = json.loads(ASYNCAPI.read_text())
    assert doc["info"]["version"] == CONTRACT_VERSION
    for schema, field in (("service_request.outcome", "by_name"), ("dsr.changed", "by_name"),
                          ("referral.override_requested", "decided_by_name"),
                          ("triage.overridden", "decided_by_name"), ("referral.assigned", "by_name"),
                          ("service_request.assigned", "assigned_to_name"), ("referral.note_added", "by_name"),
                          ("service_request.note_added", "by_name"), ("dsr.note_added", "by_name")):
        exported = json.loads((JSON_DIR / f"{schema}.schema.json").read_text())
        assert field in exported["properties"] and field not in exported.get("required", []), schema


def test_a_stored_1_1_outcome_and_register_change_still_decode_without_names() -> None:
    outcome_v1 = {"event_id": str(uuid.uuid4()), "event_type": "service_request.declined", "schema_version": 1,
                  "occurred_at": "2026-03-04T10:30:00Z", "service_request_id": str(uuid.uuid4()),
                  "referral_id": str(uuid.uuid4()), "child_id": str(uuid.uuid4()), "service": "salt",
                  "by": "worker-1", "reason": "Mild", "signpost": "The school nurse"}
    assert event_adapter(ServiceOutcome).validate_json(json.dumps(outcome_v1)).by_name is None
    change_v1 = {"event_id": str(uuid.uuid4()), "event_type": "dsr.review_recorded", "schema_version": 1,
                 "occurred_at": "2026-03-04T10:30:00Z", "entry_id": str(uuid.uuid4()), "child_id": str(uuid.uuid4()),
                 "status": "active", "rating": "red", "by": "dsr-chair"}
    assert event_adapter(DsrChanged).validate_json(json.dumps(change_v1)).by_name is None
