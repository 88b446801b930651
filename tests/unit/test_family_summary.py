"""The referral summary for a family (services/intake/summaries/domain.py) and what of the policy is MASH's to tell
(services/policy/safeguarding.py): pure, table tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.intake.summaries import domain
from services.policy.ruleset import load_ruleset
from services.policy.safeguarding import safeguarding

TODAY = date(2026, 12, 7)
MASH_RULES = frozenset({"safeguarding.mash"})
MASH_ROUTES = frozenset({("safeguarding", "mash")})
MASH_CODES = frozenset({"harm_or_abuse_disclosure", "domestic_abuse"})
REGISTER = frozenset({"dsr.candidate"})


def request(service: str = "salt", status: str = "created", *, held: bool = False,
            due: str = "2026-12-18T17:00:00+00:00", priority: str = "routine", **more: Any) -> dict[str, Any]:
    pathway = {"safeguarding": "mash", "salt": "community"}.get(service, "early")
    return {"service": service, "pathway": pathway, "status": status, "held": held, "due_by": due,
            "priority": priority, "redirect_of": None, "state": None} | more


def view(*requests: dict[str, Any], outcome: str = "routed", explanation: list[dict[str, str]] | None = None,
         concerns: tuple[str, ...] = ("speech_sounds",), risks: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "referral_id": "a1b2c3d4-0000-4000-8000-000000000000", "submitted_at": "2026-12-01T10:00:00+00:00",
        "referral": {"child": {"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "2015-02-03",
                               "education_setting": {"name": "Seaview Primary"}},
                     "referrer": {"name": "Sam Patel", "role": "school_senco", "organisation": "Seaview Primary"},
                     "concerns": list(concerns), "risks": list(risks)},
        "decision": {"outcome": outcome, "decided_at": "2026-12-01T10:00:05Z", "missing": ["consent"],
                     "explanation": explanation or []},
        "service_requests": list(requests),
    }


def summary(v: dict[str, Any]) -> dict[str, Any]:
    return domain.family_summary(v, mash_rules=MASH_RULES, mash_routes=MASH_ROUTES, mash_codes=MASH_CODES,
                                 register_rules=REGISTER, today=TODAY)


@pytest.mark.parametrize(("requests", "deciding"), [
    ([request()], False),
    ([request(held=True)], True),
    ([request("safeguarding")], True),
    ([request("safeguarding", "accepted"), request(held=True, status="declined")], False),
    ([request("safeguarding", "declined"), request()], False),
    ([request("safeguarding", pathway="allocated_social_worker")], False),  # telling a social worker: not MASH's
    ([], False),
])
def test_mash_is_deciding_while_its_request_or_one_held_for_it_waits(requests: list[dict[str, Any]],
                                                                     deciding: bool) -> None:
    assert domain.mash_deciding(requests, MASH_ROUTES) is deciding


def test_with_a_policy_it_cannot_read_every_safeguarding_request_is_mashs() -> None:
    anything = frozenset({("safeguarding", domain.ANY)})
    assert domain.mash_deciding([request("safeguarding", pathway="allocated_social_worker")], anything)


@pytest.mark.parametrize(("req", "words"), [
    (request(), "will look at the request and reply by 18 December 2026"),
    (request(due="2026-12-07T17:00:00+00:00"), "will look at the request and reply by 7 December 2026"),
    (request(due="2026-12-04T17:00:00+00:00"),
     "was due to reply by 4 December 2026; the front door is following this up"),
    (request(priority="emergency", due="2026-12-07T15:40:00+00:00"),
     "will contact you straight away, by 7 December 2026, 3:40pm"),
    (request(status="accepted"), "has agreed to help and will contact you to arrange it"),
    (request(status="completed"), "has finished its work with the child"),
    (request(status="declined", state="declined — signposted to the school nurse, because it fits better"),
     "cannot help: signposted to the school nurse, because it fits better"),
    (request(status="redirected", state="redirected to Early help"), "redirected to Early help"),
])
def test_what_happens_next_in_a_sentence(req: dict[str, Any], words: str) -> None:
    assert domain.next_step(req, TODAY) == words


@pytest.mark.parametrize(("outcome", "services", "words"), [
    ("routed", ["salt", "early_help"], "We have asked speech and language therapy and early help to help."),
    ("routed", ["salt", "salt"], "We have asked speech and language therapy to help."),
    ("routed", [], "The front door is arranging who will help. We will write again when a service has the request."),
    ("emergency", ["semh"], "This is an emergency. We have asked mental health (SEMH) to respond straight away."),
    ("needs_information", [], "We need more information before we can ask a service to help: consent."),
    ("manual_review", [], "A person on the front-door team is looking at the request to decide who can help best."),
    ("out_of_scope", [], "Children's services cannot help with this request. The reasons below say who can."),
])
def test_what_was_decided_in_a_sentence(outcome: str, services: list[str], words: str) -> None:
    assert domain.decided_words({"outcome": outcome, "missing": ["consent"]}, services) == words


def test_nothing_decided_yet() -> None:
    assert domain.decided_words(None, []).startswith("The front door has not decided yet")


REASONS = [{"rule_id": "safeguarding.mash", "because": "MASH decides first."},
           {"rule_id": "salt.community", "because": "Speech needs go to SALT."},
           {"rule_id": "dsr.candidate", "because": "A candidate for the register."},
           {"rule_id": "salt.community", "because": "Speech needs go to SALT."}]


def test_while_mash_decides_its_request_the_held_ones_its_reasons_and_its_worries_are_left_out() -> None:
    s = summary(view(request("safeguarding", priority="urgent"), request("salt", held=True), explanation=REASONS,
                     concerns=("speech_sounds", "domestic_abuse"), risks=("harm_or_abuse_disclosure",)))
    assert s["left_out"] is True
    assert s["next_steps"] == [] and s["why"] == ["Speech needs go to SALT."]
    assert s["concerns"] == ["Speech sounds"] and s["risks"] == []
    assert s["decided"].startswith("The front door is arranging who will help")


def test_once_mash_has_decided_the_summary_says_what_the_referrers_page_says_less_the_register() -> None:
    s = summary(view(request("safeguarding", "accepted"), request("salt", held=False), explanation=REASONS,
                     concerns=("speech_sounds", "domestic_abuse"), risks=("harm_or_abuse_disclosure",)))
    assert s["left_out"] is False
    assert [n["service"] for n in s["next_steps"]] == ["Safeguarding", "Speech and language therapy"]
    assert s["why"] == ["MASH decides first.", "Speech needs go to SALT."]  # once each; the register's left out
    assert s["concerns"] == ["Speech sounds", "Domestic abuse"] and s["risks"] == ["A disclosure of harm or abuse"]
    assert s["decided"] == "We have asked safeguarding and speech and language therapy to help."


def test_a_withdrawn_request_is_left_out_and_its_replacement_shown() -> None:
    s = summary(view(request("salt", "withdrawn"), request("salt", priority="urgent", redirect_of=None)))
    assert [n["service"] for n in s["next_steps"]] == ["Speech and language therapy"]
    assert s["left_out"] is False


def test_the_summary_names_the_child_the_referrer_and_the_days_in_london() -> None:
    s = summary(view(request()))
    assert s["reference"] == "A1B2C3D4" and s["child"]["name"] == "Ada Lovelace"
    assert s["child"]["school"] == "Seaview Primary" and s["made_on"] == date(2026, 12, 1)
    assert s["made_by"] == {"name": "Sam Patel", "role": "School SENCO", "organisation": "Seaview Primary"}
    assert s["decided_on"] == date(2026, 12, 1)


def test_the_reference_policys_mash_rules_and_the_worries_they_look_for() -> None:
    found = safeguarding(load_ruleset().source)
    assert found.rules == {"safeguarding.mash", "safeguarding.pending"}  # not telling a social worker
    assert found.routes == {("safeguarding", "mash")}
    assert found.codes == {"domestic_abuse", "exploitation", "harm_or_abuse_disclosure", "exploitation_indicators",
                           "missing_episodes"}
