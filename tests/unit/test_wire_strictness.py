"""Strict on the wire, tolerant where a person types (issue 13).

Every consumer decodes a record with `event_adapter` (services/common/consuming.py): pydantic's strict mode plus
the patterns the JSON Schema states, so what is on the wire is exactly what the schema says, and a record that is
not goes to the DLQ with an `x-error` naming the field (never the value). Intake reads a person's referral with
`ReferralInput` (trimmed, lax), so "5" for year 5 and a name typed with spaces around it still work there. A
submission time at the ends of the calendar is a field error, not an OverflowError."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import ReferralSubmitted, ServiceOutcome
from schemas.errors import problems
from schemas.referral import Referral, ReferralInput
from services.common.consumer_errors import safe_error_summary
from services.common.consuming import event_adapter
from tests.factories import CANARY_NHS, CANARY_REASON, referral_body

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
CONSUMER = event_adapter(ReferralSubmitted)  # as triage reads frontdoor.referrals.submitted


def submitted(**changes: Any) -> dict[str, Any]:
    """A valid referral.submitted record as JSON data, with `changes` ("a.b.c": value) applied."""
    referral = Referral.model_validate(referral_body(**{"child__education_setting__year_group": 5}),
                                       context={"as_of": NOW.date()})
    event = ReferralSubmitted(event_id=uuid.uuid4(), occurred_at=NOW, referral_id=uuid.uuid4(),
                              child_id=uuid.uuid4(), submitted_at=NOW, referral=referral)
    data = event.model_dump(mode="json")
    for path, value in changes.items():
        keys = path.split(".")
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return data


def test_the_record_the_models_write_is_read_back_on_the_wire() -> None:
    body = json.dumps(submitted()).encode()
    assert CONSUMER.validate_json(body).referral.child.education_setting.year_group == 5


LONG_NAME = "A" * 100
UUID_TEXT = "3f2b6c1e-9a4d-4c55-8e21-7b0c2d9e4f10"
LAX = [
    ("referral.child.education_setting.year_group", "5"),
    ("referral.child.education_setting.has_mhst", "yes"),
    ("referral.child.education_setting.has_mhst", "true"),
    ("referral.consent.child_aware", 1),
    ("schema_version", "1"),
    ("schema_version", 1.5),  # 1.0 is a whole number: JSON Schema's integer, taken as 1 (issue 24, item 7)
    ("occurred_at", 1772616600),
    ("occurred_at", "1772616600"),
    ("occurred_at", "2026-03-04T09:30Z"),
    ("occurred_at", "2026-03-04 09:30:00Z"),
    ("event_id", "{" + UUID_TEXT + "}"),
    ("event_id", UUID_TEXT.replace("-", "")),
    ("child_id", "urn:uuid:" + UUID_TEXT),
    ("referral.reason", "  " + CANARY_REASON),
    ("referral.reason", CANARY_REASON + "\n"),
    ("referral.child.given_name", LONG_NAME + "   "),  # 103 characters: under 100 only once stripped
    ("referral.child.given_name", "\u00a0Ann"),
    ("referral.referrer.organisation", "Example Academy "),
    ("referral.child.postcode", "ss7 3qz"),
    ("referral.child.nhs_number", "943 476 5919"),
]


@pytest.mark.parametrize(("field", "value"), LAX, ids=[f"{f}={v!r}" for f, v in LAX])
def test_the_wire_refuses_what_a_lax_decoder_would_forgive_and_the_dlq_names_the_field(field: str, value: Any) -> None:
    body = json.dumps(submitted(**{field: value})).encode()
    with pytest.raises(ValidationError) as caught:
        CONSUMER.validate_json(body)
    fields = {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}
    assert fields == {field}
    x_error = safe_error_summary(caught.value)  # the DLQ's x-error header
    assert field in x_error
    assert str(value) not in x_error and "Quillon" not in x_error


def test_every_consumer_decodes_strictly_not_only_triage() -> None:
    outcome = ServiceOutcome(event_id=uuid.uuid4(), occurred_at=NOW, event_type="service_request.accepted",
                             service_request_id=uuid.uuid4(), referral_id=uuid.uuid4(), child_id=uuid.uuid4(),
                             service="semh", by="worker-1").model_dump(mode="json")
    decoder = event_adapter(ServiceOutcome, ReferralSubmitted)  # a union, as intake and the register decode
    assert decoder.validate_json(json.dumps(outcome)).by == "worker-1"
    for field, value in [("by", " worker-1"), ("schema_version", "1"), ("service_request_id", "{" + UUID_TEXT + "}")]:
        with pytest.raises(ValidationError) as caught:
            decoder.validate_json(json.dumps({**outcome, field: value}))
        assert field in safe_error_summary(caught.value)


EXTREMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"]


@pytest.mark.parametrize("moment", EXTREMES)
def test_a_submission_time_at_the_ends_of_the_calendar_is_a_field_error_not_an_overflow(moment: str) -> None:
    body = json.dumps(submitted(submitted_at=moment)).encode()
    with pytest.raises(ValidationError) as caught:
        CONSUMER.validate_json(body)
    assert [e["loc"] for e in caught.value.errors()] == [("submitted_at",)]
    assert safe_error_summary(caught.value).startswith("ValidationError: submitted_at")  # not "OverflowError"
    with pytest.raises(ValidationError):  # a lax reader (`frontdoor triage decide`) too
        ReferralSubmitted.model_validate(json.loads(body))


@pytest.mark.parametrize("moment", EXTREMES)
def test_triage_dead_letters_it_with_the_field_and_the_command_line_says_which(moment: str) -> None:
    from services.cli.triage import _decide_one
    from services.common.settings import Settings
    from services.policy.ruleset import load_ruleset
    from services.triage.handlers import decide_record

    ruleset = load_ruleset(Settings().ruleset_path)
    body = json.dumps(submitted(submitted_at=moment))
    with pytest.raises(ValidationError) as caught:
        decide_record(body.encode(), ruleset)
    assert "submitted_at" in safe_error_summary(caught.value)
    said = _decide_one("case.json", body, ruleset)
    assert isinstance(said, str) and "submitted_at: must be a time between the years 1 and 9999" in said


def test_every_time_on_the_wire_is_checked_not_only_the_submission() -> None:
    with pytest.raises(ValidationError) as caught:
        CONSUMER.validate_json(json.dumps(submitted(occurred_at=EXTREMES[0])))
    assert problems(caught.value) == [{"field": "occurred_at",
                                       "problem": "must be a time between the years 1 and 9999 in UTC",
                                       "type": "value_error"}]


# --- tolerant where a person types ----------------------------------------------------------------------------------

TYPED = {
    "child__given_name": "  Quillon ",
    "child__education_setting__year_group": "5",
    "child__education_setting__has_mhst": "yes",
    "child__education_setting__name": " Example Academy\t",
    "consent__child_aware": 1,
    "reason": "\n" + CANARY_REASON + "  ",
    "referrer__organisation": "Example Academy ",
    "child__postcode": " ss7  3qz ",
    "child__nhs_number": f"{CANARY_NHS[:3]} {CANARY_NHS[3:6]} {CANARY_NHS[6:]}",
}


def test_a_persons_typing_is_tidied_into_a_referral_that_is_valid_on_the_wire() -> None:
    body = referral_body(**TYPED)
    with pytest.raises(ValidationError):  # the same body as a record on the wire
        Referral.model_validate_json(json.dumps(body), strict=True)
    referral = ReferralInput.model_validate_json(json.dumps(body), context={"as_of": date(2026, 3, 4)})
    child = referral.child
    assert (child.given_name, child.postcode, child.nhs_number) == ("Quillon", "SS7 3QZ", CANARY_NHS)
    assert child.education_setting is not None
    assert (child.education_setting.year_group, child.education_setting.has_mhst) == (5, True)
    assert child.education_setting.name == "Example Academy"
    assert referral.reason == CANARY_REASON and referral.consent.child_aware is True
    wire = json.dumps(submitted(referral=referral.model_dump(mode="json")))
    assert CONSUMER.validate_json(wire).referral.model_dump() == referral.model_dump()


def test_a_persons_decision_on_the_front_door_is_trimmed_too() -> None:
    from services.intake.front_door.domain import PersonsDecision

    decision = PersonsDecision.model_validate({
        "rationale": "  The family asked for the hub instead.  ",
        "changes": [{"kind": "close", "signpost": " the family hub "}],
    })
    assert decision.rationale == "The family asked for the hub instead."
    assert decision.changes[0].signpost == "the family hub"


def test_what_intake_keeps_is_the_tidy_form_and_white_space_inside_text_is_kept() -> None:
    body = referral_body(reason="Line one of the reason.\n\nLine two, after a blank line.  ")
    referral = ReferralInput.model_validate(copy.deepcopy(body), context={"as_of": date(2026, 3, 4)})
    assert referral.reason == "Line one of the reason.\n\nLine two, after a blank line."


def test_a_merge_decisions_reason_is_trimmed_like_any_persons_typing() -> None:
    from services.intake.children.routes import MergeBody

    body = MergeBody.model_validate({"survivor_id": str(uuid.uuid4()), "merged_id": str(uuid.uuid4()),
                                     "reason": "  Same NHS number and date of birth.\n"})
    assert body.reason == "Same NHS number and date of birth."


@pytest.mark.parametrize("kind", ["referral.submitted", "referral.redirected"])
def test_an_age_out_of_range_at_submission_is_an_error_on_the_referral_field(kind: str) -> None:
    from schemas import ReferralRedirected

    data = submitted(**{"referral.child.date_of_birth": "1990-01-01"})  # 36 at submission
    if kind == "referral.redirected":
        data |= {"event_type": kind, "redirect": {"from_service": "semh", "from_request_id": UUID_TEXT,
                                                   "to_service": "salt"}}
    decoder = event_adapter(ReferralSubmitted, ReferralRedirected)  # as triage decodes its topic
    with pytest.raises(ValidationError) as caught:
        decoder.validate_json(json.dumps(data))
    assert problems(caught.value) == [{"field": f"{kind}.referral",
                                       "problem": "must give an age under 26 at submission",
                                       "type": "value_error"}]
