"""The portal reads the services' answers through the models their routes answer (issue 21, item 4), so a change of
a view's shape fails the portal's tests: a stand-in with a renamed key fails as it is set, and the portal reading
an answer of a shape it does not understand shows the person its usual "there is a problem with the service" page
(502, never a 500 or pydantic's words), with one log line that says where the answer differs but nothing it held."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import httpx
import pytest

from services.common.logging import configure_logging
from tests.factories import CANARY_GIVEN
from tests.handlers import portal_standins
from tests.handlers.portal_standins import NO_COUNTS, StandIn, as_the_service_answers, sign_in
from tests.handlers.test_portal_advice import ITEM as ADVICE_ITEM
from tests.handlers.test_portal_emergency import EMERGENCY, REFERRAL_ID
from tests.handlers.test_portal_register import ENTRY, ENTRY_VIEW

portal, standin = portal_standins.portal, portal_standins.standin  # the fixtures

REQUEST = "5b0a6a8e-6f4e-4a55-9a4f-1f2b3c4d5e6f"
GIVEN, FAMILY = "Ottoline", "Quarrendon-Pike"
LISTED = {"service_request_id": REQUEST, "service": "semh", "priority": "routine", "due_by": "2026-12-20T09:00:00Z",
          "time_left": "13 days left", "overdue": False, "held": False, "status": "created", "breached": False,
          "referral_id": "8d1c2f3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "pathway": "camhs",
          "child": {"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "2014-02-27"}}
ONE_REQUEST = LISTED | {"reasons": [{"rule_id": "semh.route", "because": "Low mood at school for months"}],
                        "details": {"given_name": GIVEN, "family_name": FAMILY}, "outcome_reason": None,
                        "signpost": None, "redirect_to": None, "withdrawn": None}
AGENDA_ENTRY = {"entry_id": ENTRY, "name": f"{GIVEN} {FAMILY}", "age": 40, "age_band": "26+", "source": "direct",
                "review_track": "CTR", "rating": None, "suggested_rating": None, "escalation_suggested": False,
                "status": "pending_review", "next_review_due": None, "overdue": False, "open_tasks": 0}
LISTED_ENTRY = {"entry_id": ENTRY, "name": f"{GIVEN} {FAMILY}", "date_of_birth": "1986-07-04", "age_band": "26+",
                "status": "pending_review", "created_at": "2026-11-20T10:00:00Z", "source": "direct"}
CHILD = "3c2b1a09-8f7e-4d6c-9b5a-0f1e2d3c4b5a"
QUEUED = {"reason": "manual_review", "referral_id": str(REFERRAL_ID), "child_id": CHILD,
          "submitted_at": "2026-12-01T09:00:00+00:00",
          "clock": {"due_at": "2026-12-03T09:00:00+00:00", "overdue": True, "text": "Decide by 3 December 2026"},
          "outcome": "manual_review", "services": [], "school": "Seaview Primary Academy", "school_urn": "114999",
          "age_band": "11-15", "summary": "For a person to decide: no rule decided it"}
COUNTS = NO_COUNTS | {"manual_review": 1}
QUEUE = {"items": [QUEUED], "counts": COUNTS, "total": 1, "notes": []}


def paired(child_id: str, given: str) -> dict[str, Any]:
    return {"child_id": child_id, "nhs_number": None, "given_name": given, "family_name": FAMILY,
            "date_of_birth": "2014-02-27", "postcode": "SS1 2AB", "postcode_district": "SS1",
            "school": "Example Academy", "referrers": [{"name": "A Referrer", "role": "school_senco",
                                                        "organisation": "Example Academy"}], "concerns": ["anxiety"],
            "referrals": [{"referral_id": str(REFERRAL_ID), "submitted_at": "2026-12-01T09:00:00+00:00",
                           "status": "decided", "outcome": "routed"}],
            "requests": [{"service": "salt", "pathway": "community", "status": "accepted", "held": False}]}


PAIR = {"child_a": paired(CHILD, GIVEN), "child_b": paired(ENTRY, "Ottilie"), "matched": ["the same date of birth"],
        "flagged_by": [str(REFERRAL_ID)], "flagged_at": "2026-12-01T09:00:05+00:00"}
WHY = "the schema version of the event is not known"
LETTERS = {"readable": True, "notes": [], "showing": "waiting",
           "counts": {"waiting": 1, "sent_again": 0, "discarded": 0},
           "dead_letters": [
    {"id": "0:7", "event_id": str(uuid.UUID(int=7)), "topic": "frontdoor.referrals.submitted.dlq",
     "original_topic": "frontdoor.referrals.submitted", "event_type": "referral.submitted", "what": "A new referral",
     "error": f"PermanentError: {WHY}", "error_words": f"It was refused: {WHY}", "failures": 3,
     "first_failed_at": "2026-12-01T09:00:00+00:00", "last_failed_at": "2026-12-01T10:00:00+00:00",
     "state": "waiting", "sent_again": None, "discarded": None}]}
SUMMARY = {"referral_id": str(REFERRAL_ID), "status": "decided", "outcome": "emergency",
           "submitted_at": "2026-12-01T09:00:00+00:00", "client_reference": "portal-1"}
OVERVIEW = {"weeks": 12, "small_number_threshold": 7, "per_week": [], "per_service": [], "per_concern": [],
            "referrals_by_week": [], "by_service": [], "waiting_times": [], "breaches": [], "concerns_by_school": [],
            "disagreement": []}


def renamed(view: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(new if k == old else k): v for k, v in view.items()}


# who, the page, the service's path, what the service answers, that answer after a change of its view's shape, and
# words of the answer the page shows
PAGES = [
    ("worker-semh", "/work/semh", "/worklists/semh", [LISTED], [renamed(LISTED, "child", "person")], GIVEN),
    ("worker-semh", f"/work/semh/{REQUEST}", f"/worklists/semh/requests/{REQUEST}", ONE_REQUEST,
     ONE_REQUEST | {"priority": "whenever"}, GIVEN),
    ("dsr-chair", "/dsr", "/dsr/agenda", [AGENDA_ENTRY], [AGENDA_ENTRY | {"nickname": GIVEN}], GIVEN),
    ("dsr-chair", f"/dsr/{ENTRY}", f"/dsr/entries/{ENTRY}", ENTRY_VIEW | {"name": f"{GIVEN} {FAMILY}"},
     {k: v for k, v in ENTRY_VIEW.items() if k != "timeline"} | {"name": f"{GIVEN} {FAMILY}"}, GIVEN),
    ("asc-practitioner", "/dsr/entries", "/dsr/entries", [LISTED_ENTRY], [renamed(LISTED_ENTRY, "name", "full_name")],
     GIVEN),
    ("asc-practitioner", f"/dsr/entries/{ENTRY}", f"/dsr/entries/{ENTRY}", ENTRY_VIEW | {"name": f"{GIVEN} {FAMILY}"},
     ENTRY_VIEW | {"name": f"{GIVEN} {FAMILY}", "rating": "purple"}, GIVEN),
    ("front-door-hub", "/front-door", "/front-door/queue", QUEUE,
     QUEUE | {"counts": {k: v for k, v in COUNTS.items() if k != "advice"}}, "no rule decided it"),
    ("front-door-hub", "/front-door/duplicates", "/front-door/duplicates", [PAIR], [renamed(PAIR, "child_a", "first")],
     GIVEN),
    ("fd-admin", "/admin/dead-letters", "/front-door/dead-letters", LETTERS, LETTERS | {"readable": "perhaps"}, WHY),
    ("senco-seaview", "/referrals", "/referrals", [SUMMARY], [SUMMARY | {"status": "lost"}],
     f">{str(REFERRAL_ID)[:8].upper()}<"),
    ("senco-seaview", f"/referrals/{REFERRAL_ID}", f"/referrals/{REFERRAL_ID}", EMERGENCY,
     {k: v for k, v in EMERGENCY.items() if k != "timeline"}, "Mental health (SEMH)"),
    ("front-door-hub", f"/front-door/referrals/{REFERRAL_ID}", f"/front-door/referrals/{REFERRAL_ID}",
     EMERGENCY | {"possible_duplicate": False}, EMERGENCY | {"possible_duplicate": False, "status": "forgotten"},
     CANARY_GIVEN),
    ("front-door-hub", "/advice", "/advice", [ADVICE_ITEM], [renamed(ADVICE_ITEM, "question", "text")],
     f'href="/advice/{ADVICE_ITEM["advice_id"]}"'),
    ("commissioning", "/reports", "/reports/overview", OVERVIEW, OVERVIEW | {"weeks": "twelve"},
     "counts of fewer than 7"),
]


@pytest.fixture
def logs() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=buffer)
    return buffer


@pytest.mark.parametrize(("path", "answer", "changed"), [(p[2], p[3], p[4]) for p in PAGES])
def test_a_stand_in_of_another_shape_fails_as_it_is_set(path: str, answer: Any, changed: Any) -> None:
    built = as_the_service_answers("GET", path, answer)  # the real shape fits (it raises otherwise)
    assert as_the_service_answers("GET", path, built) == built  # and is the route's own JSON
    with pytest.raises(AssertionError, match=f"GET {path} is not what"):
        StandIn().on("GET", path, 200, changed)


@pytest.mark.parametrize(("user", "page", "path", "answer", "changed", "words"), PAGES)
async def test_an_answer_of_another_shape_is_the_service_problem_page(
    portal: httpx.AsyncClient, standin: StandIn, logs: io.StringIO, user: str, page: str, path: str, answer: Any,
    changed: Any, words: str,
) -> None:
    await sign_in(portal, user)
    standin.on("GET", path, 200, answer)
    shown = await portal.get(page)
    assert shown.status_code == 200 and words in shown.text  # the page reads the view's own shape
    standin.answer_as_is("GET", path, 200, changed)  # the service now answers another shape
    failed = await portal.get(page)
    assert failed.status_code == 502 and failed.headers["content-type"].startswith("text/html")
    assert '<h1 class="govuk-heading-l">Sorry, there is a problem with the service</h1>' in failed.text
    for leak in (words, GIVEN, FAMILY, CANARY_GIVEN, "validation error", "pydantic", "Field required",
                 "extra_forbidden", "Input should"):
        assert leak not in failed.text, leak
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]
    told = [line for line in lines if line["event"] == "portal.answer_not_understood"]
    assert len(told) == 1 and told[0]["path"] == path and told[0]["fields"] and told[0]["problems"]
    for leak in (GIVEN, FAMILY, CANARY_GIVEN, WHY, "purple", "perhaps", "whenever", "twelve"):
        assert leak not in logs.getvalue(), leak
