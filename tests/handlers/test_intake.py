"""Intake's use cases on SQLite: submitting (identity, client_reference), completing missing
information, the undecided safety net and bulk import. Decisions and outcomes: test_intake_events.py."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from schemas import ReferralSubmitted
from services.common.tables import AuditEntry, OutboxMessage
from services.demo import sample_import_csv, sample_nhs_number
from services.intake.referrals import bulk, handlers, safety_net
from services.intake.referrals.domain import (
    IDENTITY_PROBLEM,
    NOT_MISSING_PROBLEM,
    NOTHING_SENT_PROBLEM,
    ClientReferenceReusedError,
    NotCompletableError,
    PatchRefusedError,
    ReferralNotFoundError,
    fingerprint,
    merge_patch,
)
from services.intake.tables import Child, ReferralRecord
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import BY, DAY, decided, referral, route, sent, submit, timeline

# submit

def test_a_new_referral_is_stored_against_a_new_child_queued_for_triage_and_noted(session: Session) -> None:
    record = submit(session, client_reference="mis-1")
    assert (record.submitted_by, record.client_reference, record.status, record.outcome, record.matched_on) == (
        "school-a", "mis-1", "submitted", None, "new")
    assert record.referral == referral(client_reference="mis-1").model_dump(mode="json")
    assert record.fingerprint == fingerprint(referral(client_reference="any other"))  # the body, not its reference
    child = session.get(Child, record.child_id)
    assert child is not None and child.nhs_number == referral().child.nhs_number
    [event] = sent(session)
    assert isinstance(event, ReferralSubmitted)
    assert (event.event_id, event.referral_id, event.child_id, event.correlation_id) == (
        record.event_id, record.id, record.child_id, record.id)
    assert (event.submitted_at, event.history.prior_referrals_365d, event.history.open_services) == (NOW, 0, [])
    assert timeline(session, record) == [("submitted", "Referral received from: School SENCO")]
    assert session.exec(select(AuditEntry)).all() == []  # the route audits a submission, not the use case


def test_the_same_client_reference_gives_the_stored_referral_and_a_different_body_is_refused(session: Session) -> None:
    record = submit(session, client_reference="mis-2")
    again = handlers.submit(session, referral(client_reference="mis-2"), by=BY, now=NOW + DAY)
    assert (again.created, again.record.id) == (False, record.id)
    with pytest.raises(ClientReferenceReusedError, match="^This client_reference was already used for a different"):
        handlers.submit(session, referral(client_reference="mis-2", impact="severe"), by=BY, now=NOW)
    other = handlers.submit(session, referral(client_reference="mis-2"), by=principal("another-system", "referrer"),
                            now=NOW)
    assert other.created and other.record.id != record.id and other.record.child_id == record.child_id
    session.commit()
    assert [e.referral_id for e in sent(session)] == [record.id, other.record.id]


def test_the_same_child_is_found_by_nhs_number_or_by_names_and_a_typo_is_flagged(session: Session) -> None:
    nhs = sample_nhs_number(21)
    first = submit(session, child__nhs_number=nhs, child__given_name="Robin", child__family_name="Historytest")
    second = submit(session, child__nhs_number=nhs, child__given_name="Robert", child__family_name="Historytest")
    by_names = submit(session, child__nhs_number=..., child__given_name="ROBIN", child__family_name="History-Test")
    typo = submit(session, child__nhs_number=..., child__given_name="Robni", child__family_name="Historytest")
    assert first.child_id == second.child_id == by_names.child_id != typo.child_id
    assert [r.matched_on for r in (first, second, by_names, typo)] == ["new", "nhs_number", "demographics", "new"]
    assert first.possible_duplicates == [] and typo.possible_duplicates == [str(first.child_id)]
    assert [e.history.prior_referrals_365d for e in sent(session)] == [0, 1, 2, 0]


def test_a_child_first_known_without_an_nhs_number_gets_it_when_a_later_referral_brings_it(session: Session) -> None:
    first = submit(session, child__nhs_number=...)
    second = submit(session)
    child = session.get(Child, first.child_id)
    assert second.child_id == first.child_id and child is not None and child.nhs_number == referral().child.nhs_number


# complete_missing

def needing_information(session: Session) -> ReferralRecord:
    record = submit(session)
    handlers.apply_decision(session, decided(record, outcome="needs_information", missing=("voice_of_child",)), NOW)
    session.commit()
    return record


def test_completing_merges_the_patch_and_sends_the_referral_to_triage_again(session: Session) -> None:
    record = needing_information(session)
    first_event = record.event_id
    later = NOW + DAY
    done = handlers.complete_missing(session, record.id, {"voice_of_child": "I want help", "child": {"upn": None}},
                                     by=BY, now=later)
    session.commit()
    assert (done.status, done.outcome, done.referral["voice_of_child"]) == ("submitted", None, "I want help")
    assert done.event_id != first_event and done.referral["child"]["postcode"] == referral().child.postcode
    again = sent(session)[-1]
    assert isinstance(again, ReferralSubmitted)
    assert (again.event_id, again.referral_id, again.submitted_at, again.referral.voice_of_child) == (
        done.event_id, record.id, later, "I want help")
    assert again.history.prior_referrals_365d == 0  # the referral itself is not its own history
    assert timeline(session, record)[-1] == ("completed_information",
                                             "Missing information supplied; sent to triage again")


def test_only_the_referrer_can_complete_and_only_a_referral_that_needs_information(session: Session) -> None:
    record = needing_information(session)
    for referral_id, by in ((record.id, principal("school-b", "referrer")), (uuid.uuid4(), BY)):
        with pytest.raises(ReferralNotFoundError, match="^No referral of yours has this id$"):
            handlers.complete_missing(session, referral_id, {}, by=by, now=NOW)
    routed = submit(session, client_reference="routed")
    handlers.apply_decision(session, decided(routed, route()), NOW)
    for not_ready in (routed, submit(session, client_reference="undecided")):
        with pytest.raises(NotCompletableError, match="^Only a referral that needs information can be completed$"):
            handlers.complete_missing(session, not_ready.id, {}, by=BY, now=NOW)
    with pytest.raises(ValidationError):
        handlers.complete_missing(session, record.id, {"voice_of_child": "x" * 5001}, by=BY, now=NOW)


def consent_missing(session: Session, *missing: str) -> ReferralRecord:
    record = submit(session, consent={"basis": "none", "child_aware": False})
    handlers.apply_decision(session, decided(record, outcome="needs_information", missing=missing), NOW)
    session.commit()
    return record


REFUSED_PATCHES = [
    ("a given name set to NUL", {"child": {"given_name": "Ann\u0000"}}, [("child.given_name", IDENTITY_PROBLEM)]),
    ("a family name", {"child": {"family_name": "Other"}}, [("child.family_name", IDENTITY_PROBLEM)]),
    ("the date of birth", {"child": {"date_of_birth": "2015-01-01"}}, [("child.date_of_birth", IDENTITY_PROBLEM)]),
    ("the NHS number removed", {"child": {"nhs_number": None}}, [("child.nhs_number", IDENTITY_PROBLEM)]),
    ("a UPN added", {"child": {"upn": "A123456789012"}}, [("child.upn", IDENTITY_PROBLEM)]),
    ("the postcode", {"child": {"postcode": "SW1A 1AA"}}, [("child.postcode", IDENTITY_PROBLEM)]),
    ("the whole child replaced", {"child": "someone else"}, [("child", IDENTITY_PROBLEM)]),
    ("a field not missing", {"impact": "severe"}, [("impact", NOT_MISSING_PROBLEM)]),
    ("the reason", {"reason": "A quite different reason for referring the child"}, [("reason", NOT_MISSING_PROBLEM)]),
    ("the consent removed", {"consent": None}, [("consent", NOT_MISSING_PROBLEM)]),
    ("a field beside the missing one", {"consent": {"basis": "parent_with_pr"}, "risks": ["self_harm_recent"],
                                        "child": {"given_name": "Bea"}},
     [("child.given_name", IDENTITY_PROBLEM), ("risks", NOT_MISSING_PROBLEM)]),
]


@pytest.mark.parametrize(("case", "patch", "refused"), REFUSED_PATCHES, ids=[c[0] for c in REFUSED_PATCHES])
def test_a_patch_may_change_only_what_is_missing_and_never_who_the_child_is(
    session: Session, case: str, patch: dict[str, Any], refused: list[tuple[str, str]],
) -> None:
    record = consent_missing(session, "parental_consent")
    stored, event_id = dict(record.referral), record.event_id
    with pytest.raises(PatchRefusedError) as caught:
        handlers.complete_missing(session, record.id, patch, by=BY, now=NOW + DAY)
    assert [(p["field"], p["problem"]) for p in caught.value.problems] == refused
    session.rollback()
    again = session.get(ReferralRecord, record.id)
    assert again is not None and (again.referral, again.event_id, again.outcome) == (stored, event_id,
                                                                                     "needs_information")


@pytest.mark.parametrize(("missing", "patch"), [
    (("consent",), {"consent": {"basis": "parent_with_pr", "child_aware": True}}),
    (("parental_consent",), {"consent": {"basis": "parent_with_pr"}}),
    (("parental_consent",), {"consent": {"basis": "parent_with_pr", "child_aware": False}}),  # unchanged: allowed
    (("child_agreement",), {"consent": {"child_aware": True}}),
    (("voice_of_child",), {"voice_of_child": "I would like to talk to someone"}),
    (("parental_consent", "child_agreement"), {"consent": {"basis": "parent_with_pr", "child_aware": True}}),
])
def test_a_missing_field_is_accepted(session: Session, missing: tuple[str, ...], patch: dict[str, Any]) -> None:
    record = consent_missing(session, *missing)
    done = handlers.complete_missing(session, record.id, patch, by=BY, now=NOW + DAY)
    assert (done.status, done.outcome) == ("submitted", None)
    assert done.referral == merge_patch(referral(consent={"basis": "none", "child_aware": False}).model_dump(
        mode="json"), patch)


@pytest.mark.parametrize(("missing", "patch", "fields"), [
    (("consent",), {}, ["consent"]),
    (("consent",), {"consent": {}}, ["consent"]),  # what the portal sent for an empty "Give the missing information"
    (("parental_consent", "child_agreement"), {"consent": {"basis": "none", "child_aware": False}},  # as stored
     ["consent.basis", "consent.child_aware"]),
    (("voice_of_child",), {"voice_of_child": None}, ["voice_of_child"]),  # nothing there to remove
])
def test_a_patch_that_supplies_nothing_is_refused_and_triage_is_not_run_again(
    session: Session, missing: tuple[str, ...], patch: dict[str, Any], fields: list[str],
) -> None:
    """Issue 22, item 3: an empty "Give the missing information" was recorded as "Missing information supplied" and
    sent to triage again."""
    record = consent_missing(session, *missing)
    stored, event_id, events = dict(record.referral), record.event_id, len(sent(session))
    with pytest.raises(PatchRefusedError) as caught:
        handlers.complete_missing(session, record.id, patch, by=BY, now=NOW + DAY)
    assert caught.value.problems == [{"field": f, "problem": NOTHING_SENT_PROBLEM, "type": "missing"} for f in fields]
    session.rollback()
    again = session.get(ReferralRecord, record.id)
    assert again is not None and (again.referral, again.event_id, again.outcome) == (stored, event_id,
                                                                                     "needs_information")
    assert len(sent(session)) == events
    assert timeline(session, record)[-1][0] != "completed_information"


def test_a_field_asked_for_under_one_item_is_refused_under_another(session: Session) -> None:
    record = consent_missing(session, "child_agreement")
    with pytest.raises(PatchRefusedError) as caught:
        handlers.complete_missing(session, record.id, {"consent": {"basis": "parent_with_pr"}}, by=BY, now=NOW)
    assert caught.value.problems == [{"field": "consent.basis", "problem": NOT_MISSING_PROBLEM}]


def test_whose_it_is_and_whether_it_waits_are_asked_on_their_own(session: Session) -> None:
    record = needing_information(session)
    assert handlers.completable(session, record.id, by=BY).id == record.id
    with pytest.raises(ReferralNotFoundError):
        handlers.completable(session, record.id, by=principal("school-b", "referrer"))
    routed = submit(session, client_reference="routed")
    handlers.apply_decision(session, decided(routed, route()), NOW)
    with pytest.raises(NotCompletableError):
        handlers.completable(session, routed.id, by=BY)


# redrive_undecided

def test_a_referral_undecided_long_after_publishing_has_its_very_event_queued_again(session: Session) -> None:
    records = {name: submit(session, client_reference=name) for name in ("stuck", "recent", "decided")}
    records["decided"].status = "decided"
    for name, ago in (("stuck", 20), ("recent", 1), ("decided", 20)):
        row = session.get(OutboxMessage, records[name].event_id)
        assert row is not None
        row.published_at, row.claimed_by = NOW - timedelta(minutes=ago), "relay-1"
    session.commit()
    before = session.get(OutboxMessage, records["stuck"].event_id).payload  # type: ignore[union-attr]
    assert safety_net.redrive_undecided(session, now=NOW, after=timedelta(minutes=10)) == [records["stuck"].id]
    session.commit()
    stuck = session.get(OutboxMessage, records["stuck"].event_id)
    assert stuck is not None and (stuck.published_at, stuck.claimed_by, stuck.payload) == (None, None, before)
    for name in ("recent", "decided"):
        assert session.get(OutboxMessage, records[name].event_id).published_at is not None  # type: ignore[union-attr]
    assert safety_net.redrive_undecided(session, now=NOW, after=timedelta(minutes=10)) == []


# import_checked

def test_a_bulk_import_submits_each_checked_row_once_with_one_audit_row_each(session: Session) -> None:
    checked = bulk.check(sample_import_csv(6, 2, today=NOW.date()), today=NOW.date())
    assert (len(checked.valid), len(checked.bad_rows)) == (4, 2)
    importer = principal("admin-1", "referrer")
    progress: list[tuple[int, int]] = []
    assert handlers.import_checked(session, checked.valid, by=importer, now=NOW,
                                   progress=lambda done, total: progress.append((done, total))) == (4, 0)
    session.commit()
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    records = session.exec(select(ReferralRecord)).all()
    assert {r.submitted_by for r in records} == {"admin-1"} and len(sent(session)) == 4
    audit = session.exec(select(AuditEntry)).all()
    assert sorted((a.actor, a.role, a.action, a.referral_id, a.child_id) for a in audit) == sorted(
        ("admin-1", "referrer", "submit", r.id, r.child_id) for r in records)
    assert handlers.import_checked(session, checked.valid, by=importer, now=NOW + DAY) == (0, 4)
    session.commit()
    assert len(session.exec(select(AuditEntry)).all()) == 4 and len(sent(session)) == 4
