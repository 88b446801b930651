"""Issue 22, item 6: statuses that say what happened. "My referrals" shows the child's name and, per service, where the
request stands in words ("Speech and language therapy: declined — signposted to ..., because ..."), not "Routed" after
the only service declined; a priority change reads as a change, not as "withdrawn by the front door"; "Due by" is
explained where it is shown. Intake on SQLite; the portal's pages with intake stood in for (portal_standins)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlmodel import Session

from schemas.events import RouteChange
from services.common.auth import Principal
from services.intake.front_door.domain import PersonsDecision
from services.intake.referrals import handlers, views
from services.intake.tables import ReferralRecord, ServiceRequestRecord
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import BY, decided, outcome, requests_of, route, submit, timeline
from tests.handlers.portal_standins import StandIn, portal, sign_in, standin  # noqa: F401 - the fixtures
from tests.handlers.test_intake_override import overridden, requested
from tests.handlers.test_portal_emergency import view as view_of

SIGNPOST = "the school nurse drop-in"
BECAUSE = "the stammer is mild and the school can support it"
FRONT_DOOR = principal("fd-jones", "front_door")
DUE_WORDS = "the date the service aims to respond by: to accept the request or say why not"


def test_my_referrals_show_the_child_and_each_services_state_in_words(session: Session) -> None:
    record = submit(session)
    handlers.apply_decision(session, decided(record, route("salt")), NOW)
    [request] = requests_of(session, record)
    handlers.apply_outcome(session, outcome(request, "declined", reason=BECAUSE, signpost=SIGNPOST), NOW)
    session.commit()
    [summary] = views.referral_summaries(session, by=BY)
    child = record.referral["child"]
    assert summary["child_name"] == f"{child['given_name']} {child['family_name']}"
    assert [(s["service"], s["status"], s["state"]) for s in summary["services"]] == [
        ("salt", "declined", f"declined — signposted to {SIGNPOST}, because {BECAUSE}")]
    [shown] = views.referral_view(session, record.id, by=BY)["service_requests"]
    assert shown["state"] == f"declined — signposted to {SIGNPOST}, because {BECAUSE}"


def test_a_request_not_yet_answered_says_it_waits(session: Session) -> None:
    record = submit(session)
    handlers.apply_decision(session, decided(record, route("salt"), route("semh", held=True)), NOW)
    session.commit()
    [summary] = views.referral_summaries(session, by=BY)
    assert {s["service"]: s["state"] for s in summary["services"]} == {
        "salt": "waiting for the service to respond",
        "semh": "waiting for the safeguarding hub (MASH) to decide first"}


def priority_changed(session: Session, by: Principal) -> tuple[ReferralRecord, ServiceRequestRecord]:
    """A referral whose routine SALT request a person on the front door (`by`) asked to make urgent (sent to triage,
    not yet applied); the referral and that request."""
    record = submit(session)
    handlers.apply_decision(session, decided(record, route("salt")), NOW)
    [request] = requests_of(session, record)
    change = RouteChange(kind="change_priority", service_request_id=request.id, priority="urgent")
    handlers.decide(session, record.id, PersonsDecision(rationale="Stammering is much worse this term.",
                                                        changes=[change]), by=by, now=NOW)
    session.commit()
    return record, request


def test_a_priority_change_reads_as_a_change_not_a_withdrawal(session: Session) -> None:
    record, request = priority_changed(session, FRONT_DOOR)
    handlers.apply_override(session, overridden(requested(session)[0], route("salt", priority="urgent")), NOW)
    handlers.apply_outcome(session, outcome(request, "withdrawn", reason="Stammering is much worse this term."), NOW)
    session.commit()
    [line] = [summary for kind, summary in timeline(session, record) if kind == "withdrawn"]
    assert "priority changed from routine to urgent by the front door" in line and "withdrawn" not in line
    [summary] = views.referral_summaries(session, by=BY)
    states = {s["priority"]: s["state"] for s in summary["services"]}
    assert states == {"routine": "priority changed from routine to urgent by the front door",
                      "urgent": "waiting for the service to respond"}


# the portal's pages

REFERRAL_ID = str(uuid.UUID("8d1c2f3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"))


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&#x27;", "'")


def summary(**changes: Any) -> dict[str, Any]:
    return {"referral_id": REFERRAL_ID, "status": "decided", "outcome": "routed",
            "submitted_at": "2026-12-01T09:00:00+00:00", "client_reference": "portal-1", "child_name": "Ruby Lee",
            "services": [{"service_request_id": str(uuid.uuid4()), "service": "salt", "priority": "routine",
                          "status": "declined", "state": f"declined — signposted to {SIGNPOST}, because {BECAUSE}",
                          "due_by": "2027-01-14T17:00:00+00:00"},
                         {"service_request_id": str(uuid.uuid4()), "service": "early_help", "priority": "soon",
                          "status": "created", "state": "waiting for the service to respond",
                          "due_by": "2027-01-14T17:00:00+00:00"}]} | changes


async def test_my_referrals_page_names_the_child_and_says_where_each_request_stands(
        portal: httpx.AsyncClient, standin: StandIn) -> None:  # noqa: F811 - the fixtures
    standin.on("GET", "/referrals", 200, [summary()])
    await sign_in(portal, "senco-seaview")
    text = words((await portal.get("/referrals")).text)
    assert "Ruby Lee" in text
    assert f"Speech and language therapy: declined — signposted to {SIGNPOST}, because {BECAUSE}" in text
    assert "Early help: waiting for the service to respond — due by 14 January 2027" in text
    assert DUE_WORDS in text
    assert "Routed" not in text  # the decision's outcome is not the state of its requests


async def test_a_referral_listed_before_its_requests_were_shown_still_reads_its_decision(
        portal: httpx.AsyncClient, standin: StandIn) -> None:  # noqa: F811 - the fixtures
    old = {k: v for k, v in summary(outcome="needs_information").items() if k not in ("child_name", "services")}
    standin.on("GET", "/referrals", 200, [old])
    await sign_in(portal, "senco-seaview")
    text = words((await portal.get("/referrals")).text)
    assert "Needs information" in text and "8D1C2F3E" in text


def referral_page_view(*, by: str | None) -> dict[str, Any]:
    """GET /referrals/{id} for a referral whose SALT request the service declined (as its reader sees it)."""
    request = {"service_request_id": str(uuid.uuid4()), "service": "salt", "pathway": "community",
               "priority": "routine", "due_by": "2027-01-14T17:00:00+00:00", "held": False, "status": "declined",
               "state": f"declined — signposted to {SIGNPOST}, because {BECAUSE}", "breached": False,
               "redirect_of": None}
    decision = {"outcome": "routed", "decided_at": "2026-12-01T09:00:05+00:00", "ruleset_version": "ref-1",
                "missing": [], "dsr": {"candidate": False},
                "explanation": [{"rule_id": "salt.route", "because": "A stammer is described."}]}
    view = view_of(decision=decision, requests=[request], risks=[])
    view["timeline"] = [{"at": "2026-12-02T10:00:00+00:00", "kind": "declined", "this_referral": True,
                         "summary": f"Speech and language therapy, community: declined; signposted: {SIGNPOST}",
                         **({"by": by} if by else {})}]
    return view


async def test_the_referral_page_says_where_each_request_stands_and_explains_due_by(
        portal: httpx.AsyncClient, standin: StandIn) -> None:  # noqa: F811 - the fixtures
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200, referral_page_view(by="Speech and language therapy"))
    await sign_in(portal, "senco-seaview")
    text = words((await portal.get(f"/referrals/{REFERRAL_ID}")).text)
    assert f"Declined — signposted to {SIGNPOST}, because {BECAUSE}" in text
    assert DUE_WORDS in text
    assert f"declined; signposted: {SIGNPOST} — by Speech and language therapy" in text


async def test_the_referral_page_does_not_call_a_referral_routed_when_its_only_service_declined(
        portal: httpx.AsyncClient, standin: StandIn) -> None:  # noqa: F811 - the fixtures
    """Issue 22, item 6: the triage decision is history ("sent to speech and language therapy"); what the referrer
    reads first is where it stands now, per service, not a "Routed" tag beside a declined request."""
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200, referral_page_view(by="Speech and language therapy"))
    await sign_in(portal, "senco-seaview")
    text = words((await portal.get(f"/referrals/{REFERRAL_ID}")).text)
    assert "Routed" not in text
    assert "Where it stands Speech and language therapy: declined — signposted to" in text
    assert "Front door's decision Sent to speech and language therapy" in text
