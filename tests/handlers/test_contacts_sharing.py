"""Who to contact about the child (issue 22, item 4), by the ruleset's `sharing` lists: a service whose list names
`parents_carers` and `young_person_contact` reads them on its request; one whose list leaves them out gets nothing of
them, on the wire or on its worker's page; a request held for MASH shows none of them until MASH releases it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlmodel import Session

from schemas import ReferralSubmitted, ServiceRequestCreated
from services.policy.ruleset import RulesetError, load_ruleset
from services.policy.ruleset.compile import compile_ruleset
from services.triage.outputs import triage
from services.worklists import handlers as worklists
from services.worklists import views
from tests.cases import reference_ruleset
from tests.factories import referral_body
from tests.handlers.conftest import NOW

MOTHER = {"name": "Amina Okafor", "relationship": "mother", "parental_responsibility": True, "may_contact": True,
          "preferred_contact": "phone", "phone": "07700 900123", "interpreter_language": "Somali"}
FATHER = {"name": "Daniel Okafor", "relationship": "father", "parental_responsibility": True, "may_contact": False,
          "do_not_contact_reason": "A court order forbids contact with the family."}
OWN = {"preferred_contact": "email", "email": "sam.okafor@example.org"}
SECRETS = ["Amina Okafor", "07700 900123", "Somali", "Daniel Okafor", "court order", "sam.okafor@example.org"]
CONTACTS = ("parents_carers", "young_person_contact")


def submitted(**changes: Any) -> ReferralSubmitted:
    rid = uuid.uuid4()
    body = referral_body(child__date_of_birth="2009-06-01", parents_carers=[MOTHER, FATHER],
                         young_person_contact=OWN, **changes)
    return ReferralSubmitted(event_id=uuid.uuid4(), occurred_at=NOW, referral_id=rid, correlation_id=rid,
                             child_id=uuid.uuid4(), submitted_at=NOW, referral=body)


def on_worklists(session: Session, requests: list[ServiceRequestCreated]) -> dict[str, dict[str, Any]]:
    """Each request received by its service's worklist, and what its worker reads of it (the JSON answered)."""
    seen = {}
    for request in requests:
        assert worklists.receive(session, request, NOW)
        seen[request.service.value] = views.view(session, request.service.value, request.service_request_id, NOW)
    session.commit()
    return seen


def test_every_service_that_books_appointments_receives_who_to_contact(session: Session) -> None:
    ruleset = load_ruleset()
    for service, fields in ruleset.sharing.items():
        assert set(CONTACTS) <= set(fields), service  # all five contact the family (MASH sees everything)
    _, requests = triage(submitted(), ruleset, now=NOW)
    seen = on_worklists(session, requests)
    assert {"semh", "salt", "early_help"} <= set(seen)
    for service, shown in seen.items():
        details = shown["details"]
        assert [p["name"] for p in details["parents_carers"]] == ["Amina Okafor", "Daniel Okafor"], service
        assert details["parents_carers"][0]["interpreter_language"] == "Somali"
        assert details["parents_carers"][1] == {**FATHER, "may_contact": False}
        assert details["young_person_contact"] == OWN


def test_a_service_whose_sharing_list_leaves_them_out_gets_nothing_of_them(session: Session) -> None:
    data = reference_ruleset()
    data["sharing"]["salt"] = [f for f in data["sharing"]["salt"] if f not in CONTACTS]
    _, requests = triage(submitted(), compile_ruleset(data), now=NOW)
    salt = next(r for r in requests if r.service == "salt")
    wire = salt.model_dump_json()
    assert not [s for s in SECRETS if s in wire] and not [c for c in CONTACTS if c in wire]  # absent, not even null
    seen = on_worklists(session, requests)
    assert not [s for s in SECRETS if s in json.dumps(seen["salt"])]
    assert "parents_carers" in seen["semh"]["details"]  # the others still have them


def test_until_mash_releases_it_a_held_request_shows_none_of_them(session: Session) -> None:
    _, requests = triage(submitted(risks=["harm_or_abuse_disclosure"]), load_ruleset(), now=NOW)
    held = [r for r in requests if r.held]
    assert held
    seen = on_worklists(session, requests)
    for request in held:
        assert not [s for s in SECRETS if s in json.dumps(seen[request.service.value])], request.service
    assert "parents_carers" in seen["safeguarding"]["details"]  # MASH sees them
    worklists.decide_held(session, requests[0].referral_id, "release", by="mash-worker", now=NOW,
                          reason="MASH has decided.")
    session.commit()
    released = views.view(session, held[0].service.value, held[0].service_request_id, NOW)
    assert released["details"]["parents_carers"][0]["name"] == "Amina Okafor"


@pytest.mark.parametrize("unknown", ["parent_phone", "parents"])
def test_rules_check_knows_the_contact_fields_and_refuses_others(unknown: str) -> None:
    data = reference_ruleset()
    compile_ruleset(data)  # the shipped sharing lists, contacts and all, are known details
    data["sharing"]["semh"].append(unknown)
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(data)
    assert caught.value.problems == [f"sharing.semh: {unknown!r} is not a referral detail (see ServiceDetails)"]
