"""Contract 1.1 (issue 22, item 4): who to contact about the child. Parents and carers (at most four), each with how
they prefer to be contacted and that way's details, an interpreter's language, and whether they may be contacted
(and why not); the young person's own contact from 16. Events written by contract 1.0 still decode, and a referral
without contacts is written exactly as 1.0 wrote it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas import ReferralSubmitted, ServiceRequestCreated
from schemas.events import CONTRACT_VERSION, DsrChanged, OverrideRequested, ServiceOutcome, TriageOverridden
from schemas.referral import Referral, ReferralInput
from services.common.consuming import event_adapter
from services.contracts import ASYNCAPI, JSON_DIR
from services.intake.referrals.domain import fingerprint
from tests.factories import referral_body

STORED = Path(__file__).parent / "stored_events"
V1_FINGERPRINT = "506b30ac53c156d0e67d102b9e84cef94f1f713a8c595381ac8673fd1a1bb4f5"  # written by contract 1.0's code
AS_OF = date(2026, 1, 15)

MOTHER = {"name": "Amina Okafor", "relationship": "mother", "parental_responsibility": True, "may_contact": True,
          "preferred_contact": "phone", "phone": "07700 900123", "interpreter_language": "Somali"}
FATHER = {"name": "Daniel Okafor", "relationship": "father", "parental_responsibility": True, "may_contact": False,
          "do_not_contact_reason": "A court order forbids contact with the family."}


def problems(body: dict[str, Any], as_of: date = AS_OF) -> list[tuple[str, str]]:
    """Each refusal of `body` as intake reads it on `as_of`: (field path, message)."""
    try:
        ReferralInput.model_validate(body, context={"as_of": as_of})
    except ValidationError as exc:
        return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    return []


def test_a_stored_contract_1_0_referral_event_still_decodes_and_is_written_as_it_was() -> None:
    stored = (STORED / "referral.submitted.v1.json").read_text()
    event = event_adapter(ReferralSubmitted).validate_json(stored)
    assert event.schema_version == 1
    assert event.referral.parents_carers is None and event.referral.young_person_contact is None
    assert event.model_dump_json() + "\n" == stored  # no new key, not even a null: a 1.0 reader still reads it
    assert fingerprint(event.referral) == V1_FINGERPRINT  # a client_reference sent again is still a replay


def test_a_stored_contract_1_0_service_request_still_decodes_and_is_written_as_it_was() -> None:
    stored = (STORED / "service_request.created.v1.json").read_text()
    event = event_adapter(ServiceRequestCreated).validate_json(stored)
    assert event.details.parents_carers is None and event.details.young_person_contact is None
    assert event.model_dump_json() + "\n" == stored


def test_parents_and_carers_and_the_young_persons_own_contact_are_part_of_the_referral() -> None:
    body = referral_body(child__date_of_birth="2009-06-01", parents_carers=[MOTHER, FATHER],
                         young_person_contact={"preferred_contact": "email", "email": "sam@example.org"})
    referral = ReferralInput.model_validate(body, context={"as_of": AS_OF})
    mother, father = referral.parents_carers or []
    assert (mother.relationship, mother.preferred_contact, mother.interpreter_language) == ("mother", "phone", "Somali")
    assert (father.may_contact, father.do_not_contact_reason) == (False, FATHER["do_not_contact_reason"])
    assert referral.young_person_contact is not None and referral.young_person_contact.email == "sam@example.org"
    wire = referral.model_dump_json()
    assert Referral.model_validate_json(wire, strict=True).model_dump_json() == wire  # intake keeps what the wire reads


@pytest.mark.parametrize(("change", "where", "words"), [
    ({"may_contact": False, "preferred_contact": None}, "parents_carers.0.do_not_contact_reason",
     "must be given when they may not be contacted"),
    ({"do_not_contact_reason": "No reason really"}, "parents_carers.0.do_not_contact_reason",
     "must be left out when they may be contacted"),
    ({"preferred_contact": None}, "parents_carers.0.preferred_contact", "must be given when they may be contacted"),
    ({"phone": None}, "parents_carers.0.phone", "must be given when phone is the preferred way of contact"),
    ({"preferred_contact": "email"}, "parents_carers.0.email", "must be given when email is the preferred way"),
    ({"relationship": "aunt"}, "parents_carers.0.relationship", "Input should be"),
    ({"phone": "call me"}, "parents_carers.0.phone", "String should match pattern"),
])
def test_a_parent_or_carers_contact_is_consistent(change: dict[str, Any], where: str, words: str) -> None:
    found = problems(referral_body(parents_carers=[{**MOTHER, **change}]))
    assert [w for w, _ in found] == [where] and words in found[0][1], found


def test_a_letter_needs_neither_phone_nor_email_and_a_parent_not_to_be_contacted_has_no_preferred_way() -> None:
    letter = {**MOTHER, "preferred_contact": "letter", "phone": None}
    assert problems(referral_body(parents_carers=[letter, FATHER])) == []
    assert problems(referral_body(parents_carers=[{**FATHER, "preferred_contact": "phone"}])) == [
        ("parents_carers.0.preferred_contact", "Value error, must be left out when they may not be contacted")]


def test_at_most_four_parents_or_carers() -> None:
    assert problems(referral_body(parents_carers=[MOTHER] * 4)) == []
    assert [w for w, _ in problems(referral_body(parents_carers=[MOTHER] * 5))] == ["parents_carers"]


def test_the_young_persons_own_contact_only_from_16_at_submission() -> None:
    own = {"preferred_contact": "phone", "phone": "07700 900456"}
    sixteen_today = referral_body(child__date_of_birth="2010-01-15", young_person_contact=own)
    assert problems(sixteen_today) == []
    assert problems(sixteen_today, as_of=date(2026, 1, 14)) == [
        ("young_person_contact", "Value error, must be left out for a child under 16 at submission")]
    assert [w for w, _ in problems(referral_body(young_person_contact={"preferred_contact": "email"}))] == [
        "young_person_contact.email"]


def test_an_event_checks_the_young_persons_age_on_its_own_submission_day() -> None:
    stored = json.loads((STORED / "referral.submitted.v1.json").read_text())
    stored["referral"]["child"]["date_of_birth"] = "2010-01-16"  # 16 the day after it was submitted
    stored["referral"]["young_person_contact"] = {"preferred_contact": "phone", "phone": "07700 900456"}
    with pytest.raises(ValidationError, match="under 16 at submission"):
        event_adapter(ReferralSubmitted).validate_json(json.dumps(stored))
    stored["referral"]["child"]["date_of_birth"] = "2010-01-15"
    assert event_adapter(ReferralSubmitted).validate_json(json.dumps(stored)).referral.young_person_contact


def test_the_exported_contract_names_its_version_and_the_new_fields() -> None:
    assert tuple(map(int, CONTRACT_VERSION.split("."))) >= (1, 1, 0)  # 1.1 or a later minor version
    referral = json.loads((JSON_DIR / "referral.schema.json").read_text())
    assert {"parents_carers", "young_person_contact"} <= set(referral["properties"])
    assert CONTRACT_VERSION in referral["$comment"]
    assert {"ParentCarer", "YoungPersonContact", "Relationship", "ContactMethod"} <= set(referral["$defs"])
    assert referral["$defs"]["Relationship"]["enum"] == ["mother", "father", "step_parent", "grandparent",
                                                         "foster_carer", "special_guardian", "other"]
    doc = json.loads(ASYNCAPI.read_text())
    assert doc["info"]["version"] == CONTRACT_VERSION
    details = doc["components"]["schemas"]["ServiceDetails"]["properties"]
    assert {"parents_carers", "young_person_contact"} <= set(details)


def test_the_demo_fills_who_to_contact() -> None:
    """`make run DEMO=1`: parents and carers (one needing an interpreter, one not to be contacted and why) and a young
    person of 16 or over with their own contact, every referral valid on the day the demo runs."""
    from services.demo import demo_referrals, front_door_referrals

    today = date.today()
    bodies = demo_referrals(today) + list(front_door_referrals(today).values())
    referrals = [ReferralInput.model_validate(b, context={"as_of": today}) for b in bodies]
    carers = [p for r in referrals for p in r.parents_carers or []]
    assert any(p.interpreter_language for p in carers)
    assert any(not p.may_contact and p.do_not_contact_reason for p in carers)
    assert any(r.young_person_contact for r in referrals)


@pytest.mark.parametrize(("model", "field"), [(ServiceOutcome, "by_name"), (DsrChanged, "by_name"),
                                              (OverrideRequested, "decided_by_name"),
                                              (TriageOverridden, "decided_by_name")])
def test_a_name_not_given_is_left_out_of_the_event_as_1_0_wrote_it(model: type[BaseModel], field: str) -> None:
    """Contract 1.2's optional names follow 1.1's rule: a field new in a minor version is left out when not given,
    never written as null, so a 1.0 reader that refuses unknown keys still reads an event without one."""
    assert field in model.model_fields
    assert field not in model.model_construct(**{field: None}).model_dump(mode="json")
    assert model.model_construct(**{field: "Kim Evans"}).model_dump(mode="json")[field] == "Kim Evans"
