"""The front-door queue and the front door's use cases on SQLite: what is listed and why, its clocks,
order, counts and filters; recording emergency contact and a chase; the emergency clock job."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, EmergencyUnanswered
from services.common.dlq_tools import DeadLetter
from services.common.ids import derived_id
from services.common.tables import DeadLetterDiscard, OutboxMessage
from services.intake.front_door import handlers as front_door
from services.intake.front_door.domain import NoSuchReferralError
from services.intake.front_door.handlers import NotAnEmergencyError, NotWaitingForInformationError
from services.intake.front_door.views import Filters, queue
from services.intake.referrals import handlers
from services.intake.tables import (
    ChildMerge,
    DistinctChildren,
    EmergencyContact,
    FrontDoorDecision,
    InformationChase,
    ReferralRecord,
)
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import DAY, decided, route, submit, timeline

HOUR = timedelta(hours=1)
LETTER_ID = uuid.UUID(int=7)
LETTER = DeadLetter("frontdoor.referrals.submitted.dlq", 0, 7, "frontdoor.referrals.submitted", "2", "41",
                    "ValidationError: referral.child.postcode: value_error", "1", 30, "abcd1234",
                    event_id=str(LETTER_ID), event_type="referral.submitted", at=NOW)


def decide(session: Session, outcome: str, *routes: dict[str, Any], at: datetime = NOW,
           **changes: Any) -> ReferralRecord:
    """A submitted referral with triage's decision applied. Until intake's decision handler sets the
    emergency clock itself, the test sets it as that handler will: decided_at + 4 hours."""
    record = submit(session, **changes)
    event = decided(record, *routes, outcome=outcome,
                    missing=("voice_of_child",) if outcome == "needs_information" else ())
    handlers.apply_decision(session, event.model_copy(update={"decided_at": at}), at)
    if outcome == "emergency" and record.emergency_due_at is None:
        record.emergency_due_at = at + 4 * HOUR
    record.decision_event_id = record.decision_event_id or event.event_id
    session.add(record)
    session.commit()
    return record


def listed(session: Session, now: datetime = NOW, *, letters: list[DeadLetter] | None = None,
           **filters: Any) -> dict[str, Any]:
    return queue(session, now, chase_after_working_days=5, chase_again_working_days=3,
                 dead_letters=letters if letters is not None else [],
                 filters=Filters(**filters))


def reasons(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(i["reason"], i["referral_id"]) for i in answer["items"]]


# the queue

def test_each_reason_is_listed_most_urgent_first_with_counts_before_filtering(session: Session) -> None:
    now = NOW + 8 * DAY  # Thursday 12 March: past the 5 working days of information asked for on 4 March
    routed = decide(session, "routed", route("salt"))
    late = decide(session, "emergency", route("semh", priority="emergency"), at=now - 5 * HOUR,
                  child__nhs_number=..., child__given_name="Alex")
    soon = decide(session, "emergency", route("semh", priority="emergency"), at=now - HOUR,
                  child__nhs_number=..., child__given_name="Blake")
    manual = decide(session, "manual_review", at=now - HOUR, child__nhs_number=..., child__given_name="Casey")
    out = decide(session, "out_of_scope", at=NOW, child__nhs_number=..., child__given_name="Drew")
    waiting = decide(session, "needs_information", child__nhs_number=..., child__given_name="Eden")
    answer = listed(session, now, letters=[LETTER])
    assert reasons(answer) == [
        ("emergency", str(late.id)), ("emergency", str(soon.id)),  # emergencies first, earliest clock first
        ("out_of_scope", str(out.id)),  # overdue: a person was to decide by 17:00 on 5 March
        ("needs_information", str(waiting.id)),  # overdue since 11 March
        ("manual_review", str(manual.id)),  # due 17:00 on Friday 13 March
        ("dead_letter", None),  # no clock: last
    ]
    assert str(routed.id) not in {i["referral_id"] for i in answer["items"]}
    assert answer["counts"] == {"emergency": 2, "manual_review": 1, "out_of_scope": 1, "needs_information": 1,
                                "possible_duplicate": 0, "dead_letter": 1, "advice": 0}
    assert answer["total"] == 6 and answer["notes"] == []
    first = answer["items"][0]
    assert first["clock"] == {"due_at": (now - HOUR).isoformat(), "overdue": True,
                              "text": "Overdue: contact was due by 12 March 2026, 9:30am"}
    assert answer["items"][1]["clock"]["text"] == "Contact due by 12 March 2026, 1:30pm (3 hours 0 minutes left)"
    assert answer["items"][1]["clock"]["overdue"] is False
    assert (first["services"], first["school"], first["age_band"], first["outcome"], first["child_id"]) == (
        ["semh"], "Example Academy", "11-15", "emergency", str(late.child_id))
    assert first["summary"] == ("Emergency: no contact recorded yet. Concerns: Anxiety, Speech sounds, Housing. "
                                "Effect on daily life: Mild, for 1 to 6 months.")
    assert answer["items"][2]["clock"]["text"] == "Overdue: a person was to decide by 5 March 2026, 5pm"
    assert answer["items"][4]["clock"] == {"due_at": "2026-03-13T17:00:00+00:00", "overdue": False,
                                           "text": "A person to decide by 13 March 2026, 5pm"}
    letter = answer["items"][5]
    assert letter["dead_letter"] == {
        "id": "0:7", "event_id": str(LETTER_ID), "topic": "frontdoor.referrals.submitted.dlq",
        "original_topic": "frontdoor.referrals.submitted", "event_type": "referral.submitted",
        "what": "A new referral", "error": "ValidationError: referral.child.postcode: value_error",
        "error_words": "It does not match its contract: referral child postcode is not valid", "failures": 1,
        "first_failed_at": NOW.isoformat(), "last_failed_at": NOW.isoformat(), "state": "waiting",
        "sent_again": None, "discarded": None}
    assert letter["summary"] == "It does not match its contract: referral child postcode is not valid"
    assert "Quillon" not in str(letter)
    filtered = listed(session, now, letters=[LETTER], reason="emergency")
    assert reasons(filtered) == reasons(answer)[:2] and filtered["counts"] == answer["counts"]


def test_filters_by_service_school_and_age_band(session: Session) -> None:
    salt = decide(session, "emergency", route("salt", priority="emergency"))
    young = decide(session, "manual_review", child__nhs_number=..., child__given_name="Fin",
                   child__date_of_birth="2022-03-05", child__education_setting__name="Little Acorns Nursery",
                   child__education_setting__urn="100001")
    assert reasons(listed(session, service="salt")) == [("emergency", str(salt.id))]
    assert reasons(listed(session, service="semh")) == []
    assert reasons(listed(session, school="little acorns nursery")) == [("manual_review", str(young.id))]
    assert reasons(listed(session, school="100001")) == [("manual_review", str(young.id))]
    assert reasons(listed(session, age_band="0-4")) == [("manual_review", str(young.id))]  # 3 on 4 March 2026
    assert reasons(listed(session, age_band="11-15")) == [("emergency", str(salt.id))]
    assert reasons(listed(session, age_band="5-10")) == []


def test_a_child_turning_five_moves_from_the_0_4_band_to_5_10(session: Session) -> None:
    record = decide(session, "manual_review", child__date_of_birth="2021-03-05")
    assert listed(session)["items"][0]["age_band"] == "0-4"
    assert listed(session, NOW + DAY)["items"][0]["age_band"] == "5-10"
    assert record.id


def test_an_emergency_leaves_the_queue_once_contact_is_recorded(session: Session) -> None:
    record = decide(session, "emergency", route("semh", priority="emergency"))
    assert reasons(listed(session)) == [("emergency", str(record.id))]
    contact = front_door.record_emergency_contact(
        session, record.id, contacted="MASH duty social worker", how="phone", contacted_at=NOW + HOUR,
        note="Parent reached", by="fd-1", now=NOW + 2 * HOUR)
    session.commit()
    assert (contact.referral_id, contact.contacted, contact.how, contact.recorded_by) == (
        record.id, "MASH duty social worker", "phone", "fd-1")
    assert record.contact_made_at == NOW + HOUR
    assert timeline(session, record)[-1] == (
        "emergency_contact", "The front door recorded emergency contact with MASH duty social worker (by phone)")
    assert reasons(listed(session)) == []
    front_door.record_emergency_contact(session, record.id, contacted="GP", how="video", contacted_at=NOW + 3 * HOUR,
                                        note=None, by="fd-2", now=NOW + 3 * HOUR)
    assert record.contact_made_at == NOW + HOUR  # the first contact stopped the clock
    assert len(session.exec(select(EmergencyContact)).all()) == 2


def test_contact_is_refused_for_a_referral_that_is_not_an_emergency_and_an_unknown_one(session: Session) -> None:
    record = decide(session, "routed", route("salt"))
    with pytest.raises(NotAnEmergencyError, match="^Contact can only be recorded for a referral decided as an emerg"):
        front_door.record_emergency_contact(session, record.id, contacted="GP", how="phone", contacted_at=NOW,
                                            note=None, by="fd-1", now=NOW)
    with pytest.raises(NoSuchReferralError):
        front_door.record_emergency_contact(session, uuid.uuid4(), contacted="GP", how="phone", contacted_at=NOW,
                                            note=None, by="fd-1", now=NOW)


def test_information_is_chased_only_after_the_working_days_and_the_last_chase_is_shown(session: Session) -> None:
    record = decide(session, "needs_information")  # Wednesday 4 March, 10:30
    due = datetime(2026, 3, 11, 10, 30, tzinfo=timezone.utc)  # five working days later
    assert reasons(listed(session, due - timedelta(minutes=1))) == []
    [item] = listed(session, due)["items"]
    assert item["clock"] == {"due_at": due.isoformat(), "overdue": True,
                             "text": "No answer 5 working days after information was asked for on 4 March 2026"}
    assert item["summary"].startswith("Waiting for missing information: What the child says. Concerns:")
    chase = front_door.record_chase(session, record.id, how="email", note="Asked for the child's view", by="fd-1",
                                    now=due + HOUR)
    session.commit()
    assert (chase.how, chase.by, record.last_chased_at) == ("email", "fd-1", due + HOUR)
    assert timeline(session, record)[-1] == (
        "information_chased", "The front door contacted you about the missing information (email)")
    # still listed after a chase, with the last one: not overdue, to be chased again by 17:00 three working days on
    again = datetime(2026, 3, 16, 17, 0, tzinfo=timezone.utc)
    [item] = listed(session, due + 2 * HOUR)["items"]
    assert item["clock"] == {"due_at": again.isoformat(), "overdue": False, "text":
                             "Information asked for on 4 March 2026; last chased by email on 11 March 2026; "
                             "chase again by 16 March 2026"}
    assert item["last_chase"] == {"at": (due + HOUR).isoformat(), "how": "email"}
    [item] = listed(session, again)["items"]  # no answer by then: overdue again, from the next action date
    assert item["clock"] == {"due_at": again.isoformat(), "overdue": True, "text":
                             "Information asked for on 4 March 2026; last chased by email on 11 March 2026; "
                             "was to be chased again by 16 March 2026"}
    record.outcome, record.status = None, "submitted"  # the referrer completed it: triage decides again
    session.add(record)
    session.commit()
    assert reasons(listed(session, due + 2 * HOUR)) == []


def test_a_bank_holiday_is_not_a_working_day_for_the_chase_clock(session: Session) -> None:
    decide(session, "needs_information", at=datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc))  # Wed; Good Friday 3rd
    # Thu 2, Tue 7, Wed 8, Thu 9, Fri 10 April (Easter Monday 6th off): due 10:00 London (BST) on 10 April
    assert reasons(listed(session, datetime(2026, 4, 10, 8, 59, tzinfo=timezone.utc))) == []
    assert len(listed(session, datetime(2026, 4, 10, 9, 0, tzinfo=timezone.utc))["items"]) == 1


def test_a_chase_is_refused_unless_the_referral_needs_information(session: Session) -> None:
    record = decide(session, "manual_review")
    with pytest.raises(NotWaitingForInformationError, match="^Only a referral waiting for missing information"):
        front_door.record_chase(session, record.id, how="phone", note=None, by="fd-1", now=NOW)
    assert session.exec(select(InformationChase)).all() == []


def test_a_referral_a_person_has_decided_leaves_the_queue(session: Session) -> None:
    record = decide(session, "manual_review")
    session.add(FrontDoorDecision(id=uuid.uuid4(), referral_id=record.id, child_id=record.child_id, decided_by="fd-1",
                                  decided_at=NOW + HOUR, rationale="Routed to SALT after a call with the school",
                                  supersedes=record.decision_event_id or uuid.uuid4()))
    session.commit()
    assert reasons(listed(session)) == []


def test_a_possible_duplicate_is_listed_until_a_person_says_different_or_merges(session: Session) -> None:
    first = submit(session, child__nhs_number=..., child__given_name="Robin", child__family_name="Historytest")
    typo = submit(session, child__nhs_number=..., child__given_name="Robni", child__family_name="Historytest")
    assert typo.possible_duplicates == [str(first.child_id)]
    [item] = listed(session)["items"]
    assert (item["reason"], item["referral_id"], item["possible_duplicate_of"]) == (
        "possible_duplicate", str(typo.id), [str(first.child_id)])
    assert item["clock"] == {"due_at": None, "overdue": False,
                             "text": "Flagged on 4 March 2026: may be the same child as another record"}
    a, b = sorted((first.child_id, typo.child_id), key=str)
    distinct = DistinctChildren(child_a=a, child_b=b, by="fd-1")
    session.add(distinct)
    session.commit()
    assert listed(session)["items"] == []
    session.delete(distinct)
    merge = ChildMerge(id=uuid.uuid4(), survivor_id=first.child_id, merged_id=typo.child_id, by="fd-1",
                       reason="Same child: school confirmed", at=NOW)
    session.add(merge)
    session.commit()
    assert listed(session)["items"] == []
    merge.undone_at = NOW + DAY
    session.add(merge)
    session.commit()
    assert reasons(listed(session)) == [("possible_duplicate", str(typo.id))]


def test_unreadable_dead_letters_leave_the_rest_of_the_queue_with_a_note(session: Session) -> None:
    record = decide(session, "manual_review")
    answer = queue(session, NOW, chase_after_working_days=5, chase_again_working_days=3, dead_letters=None)
    assert reasons(answer) == [("manual_review", str(record.id))]
    assert answer["notes"] == ["Dead letters could not be read: the message broker did not answer"]
    assert answer["counts"]["dead_letter"] == 0


# the emergency clock

def unanswered(session: Session) -> list[tuple[OutboxMessage, EmergencyUnanswered]]:
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_DECISIONS)
                        .order_by(col(OutboxMessage.created_at))).all()
    return [(r, EmergencyUnanswered.model_validate_json(r.payload)) for r in rows]


def test_an_emergency_past_its_clock_without_contact_is_announced_once(session: Session) -> None:
    late = decide(session, "emergency", route("semh", priority="emergency"))
    answered = decide(session, "emergency", route("semh", priority="emergency"), child__nhs_number=...,
                      child__given_name="Gale")
    not_yet = decide(session, "emergency", route("semh", priority="emergency"), at=NOW + HOUR,
                     child__nhs_number=..., child__given_name="Harper")
    front_door.record_emergency_contact(session, answered.id, contacted="CAMHS crisis team", how="in_person",
                                        contacted_at=NOW + HOUR, note=None, by="fd-1", now=NOW + HOUR)
    session.commit()
    at = NOW + 4 * HOUR + timedelta(seconds=1)  # one second past the first clock, not the third's
    assert front_door.mark_unanswered_emergencies(session, at) == 1
    session.commit()
    [(row, event)] = unanswered(session)
    assert (row.id, row.key) == (derived_id(late.id, "referral.emergency_unanswered"), str(late.child_id))
    assert (event.referral_id, event.child_id, event.due_by, event.occurred_at) == (
        late.id, late.child_id, NOW + 4 * HOUR, at)
    assert late.emergency_unanswered_at == at and not_yet.emergency_unanswered_at is None
    assert timeline(session, late)[-1] == (
        "emergency_unanswered",
        "No contact was recorded within the emergency time limit; the front door team has been alerted")
    assert front_door.mark_unanswered_emergencies(session, at + HOUR) == 1  # only the third, now late too
    assert front_door.mark_unanswered_emergencies(session, at + 2 * HOUR) == 0
    assert reasons(listed(session, at))[0] == ("emergency", str(late.id))  # still on the queue until contact


def test_the_emergency_clock_claims_a_referral_only_while_its_row_is_unclaimed(session: Session) -> None:
    late = decide(session, "emergency", route("semh", priority="emergency"))
    late.emergency_unanswered_at = NOW + 5 * HOUR  # another replica's claim
    session.add(late)
    session.commit()
    assert front_door.mark_unanswered_emergencies(session, NOW + 6 * HOUR) == 0
    assert unanswered(session) == []


def test_a_dead_lettered_event_is_one_item_however_often_it_failed_and_leaves_the_queue_once_discarded(
        session: Session) -> None:
    again = replace(LETTER, offset=9, error="PermanentError: the schema version of the event is not known",
                    at=NOW + HOUR, replayed_from="frontdoor.referrals.submitted.dlq:0:7")
    [item] = listed(session, letters=[LETTER, again])["items"]
    assert (item["dead_letter"]["id"], item["dead_letter"]["failures"]) == ("0:9", 2)
    assert item["summary"] == "It was refused: the schema version of the event is not known"
    session.add(DeadLetterDiscard(event_id=LETTER_ID, dlq_topic=LETTER.dlq_topic, event_type="referral.submitted",
                                  reason="Sent by a test harness by mistake", by="admin-1", by_name="Ada Admin",
                                  at=NOW))
    session.commit()
    answer = listed(session, letters=[LETTER, again])
    assert answer["items"] == [] and answer["counts"]["dead_letter"] == 0
