"""A front-door decision withdrawing a request (service_request.withdrawn on the outcomes topic): the
worklists' own consumer group closes the request, unless the service has accepted or finished it;
every other outcome is ignored; and the workers see who withdrew it and why."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from structlog.testing import capture_logs

from schemas import ServiceOutcome
from services.common.consuming import apply_record, event_adapter
from services.common.tables import OutboxMessage, ProcessedEvent
from services.worklists import views
from services.worklists.handlers import RequestNotFoundError, act, ignore, mark_breaches, receive, withdraw
from services.worklists.main import OUTCOME_HANDLERS
from services.worklists.rules import ActionRefusedError
from services.worklists.tables import WorklistItem
from tests.handlers.conftest import NOW
from tests.handlers.test_worklists import DAY, DETAILS, REASON, created, put

RATIONALE = "The family moved out of the area last week"
PERSON = "front-door-1"


def withdrawn(item: WorklistItem, *, kind: str = "service_request.withdrawn", by: str = PERSON,
              reason: str | None = RATIONALE) -> ServiceOutcome:
    """What triage publishes for a withdrawn route (the person's subject and rationale)."""
    return ServiceOutcome(
        event_id=uuid.uuid4(), occurred_at=NOW + timedelta(hours=1), correlation_id=item.referral_id, event_type=kind,
        service_request_id=item.id, referral_id=item.referral_id, child_id=item.child_id, service=item.service,
        by=by, reason=reason, pathway=item.pathway, due_by=item.due_by,
    )


def test_a_withdrawn_request_leaves_the_open_worklist_with_who_and_why(session: Session) -> None:
    item, other = put(session), put(session)
    assert withdraw(session, withdrawn(item), NOW) is True
    session.commit()
    session.refresh(item)
    assert (item.status, item.actor, item.outcome_reason, item.updated_at) == (
        "withdrawn", PERSON, RATIONALE, NOW + timedelta(hours=1))
    assert (item.priority, item.details, item.reasons) == ("routine", DETAILS, [REASON])  # what it carried stays
    assert [i["service_request_id"] for i in views.worklist(session, "salt", NOW)] == [str(other.id)]
    assert [i["service_request_id"] for i in views.worklist(session, "salt", NOW, status="withdrawn")] == [str(item.id)]
    shown = views.view(session, "salt", item.id, NOW)
    assert shown["status"] == "withdrawn" and shown["outcome_reason"] == RATIONALE
    assert shown["withdrawn"] == {
        "by": PERSON, "at": (NOW + timedelta(hours=1)).isoformat(), "reason": RATIONALE,
        "summary": f"Withdrawn by the front door: {RATIONALE}"}  # the login id is never shown (issue 22, item 7)
    assert views.view(session, "salt", other.id, NOW)["withdrawn"] is None
    assert session.exec(select(OutboxMessage)).all() == []  # the worklists announce nothing: triage did


def test_a_request_withdrawn_while_held_for_mash_shows_its_service_only_that_it_was_withdrawn(
    session: Session,
) -> None:
    item = put(session, held=True)
    assert withdraw(session, withdrawn(item), NOW) is True
    session.commit()
    shown = views.view(session, "salt", item.id, NOW)
    assert (shown["status"], shown["held"], shown["mash_decides_first"]) == ("withdrawn", True, True)
    assert not {"outcome_reason", "withdrawn", "details", "reasons"} & set(shown)  # never released: need to know


@pytest.mark.parametrize("status", ["accepted", "completed", "declined", "redirected"])
def test_a_request_the_service_accepted_or_finished_is_left_as_it_was(session: Session, status: str) -> None:
    item = put(session, status=status)
    with capture_logs() as logs:
        assert withdraw(session, withdrawn(item), NOW) is False
    session.rollback()
    session.refresh(item)
    assert (item.status, item.actor, item.outcome_reason) == (status, None, None)
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert warning == {"event": "withdrawal of a request no longer waiting left it as it was", "log_level": "warning",
                       "status": status, "service_request_id": str(item.id), "referral_id": str(item.referral_id)}
    assert RATIONALE not in str(logs) and PERSON not in str(logs)  # ids only


def test_withdrawing_again_changes_nothing_and_logs_nothing(session: Session) -> None:
    item = put(session)
    assert withdraw(session, withdrawn(item), NOW) is True
    session.commit()
    with capture_logs() as logs:
        assert withdraw(session, withdrawn(item, by="someone-else", reason="Another reason given"), NOW) is False
    assert logs == []
    session.rollback()
    session.refresh(item)
    assert (item.actor, item.outcome_reason) == (PERSON, RATIONALE)


def test_a_withdrawn_request_can_no_longer_be_acted_on_nor_breach(session: Session) -> None:
    item = put(session, due_by=NOW - DAY)
    withdraw(session, withdrawn(item), NOW)
    session.commit()
    for action in ("accept", "decline", "redirect", "complete"):
        with pytest.raises(ActionRefusedError):
            act(session, "salt", item.id, action, by="w", now=NOW, reason="r", signpost="s", redirect_to="semh")
    assert mark_breaches(session, NOW + DAY) == 0


def test_a_withdrawal_that_overtakes_its_request_is_kept_and_the_request_filled_in(session: Session) -> None:
    event = created(priority="urgent", held=True)
    early = WorklistItem(id=event.service_request_id, service="salt", referral_id=event.referral_id,
                         child_id=event.child_id, pathway="community", priority="urgent", due_by=event.due_by)
    assert withdraw(session, withdrawn(early), NOW) is True  # the queue's consumer has not got there yet
    session.commit()
    placeholder = session.get(WorklistItem, event.service_request_id)
    assert placeholder is not None
    assert (placeholder.status, placeholder.priority, placeholder.due_by) == ("withdrawn", "", event.due_by)
    # Until its request arrives there is nothing of it to show: not listed, and not found (never a failed answer).
    assert views.worklist(session, "salt", NOW, status="withdrawn") == []
    with pytest.raises(RequestNotFoundError):
        views.view(session, "salt", event.service_request_id, NOW)
    assert receive(session, event, NOW) is True
    session.commit()
    session.refresh(placeholder)
    assert (placeholder.status, placeholder.actor, placeholder.outcome_reason) == ("withdrawn", PERSON, RATIONALE)
    assert (placeholder.priority, placeholder.held, placeholder.details, placeholder.reasons) == (
        "urgent", True, DETAILS, [REASON])
    assert (placeholder.received_at, placeholder.updated_at) == (event.occurred_at, NOW + timedelta(hours=1))
    assert receive(session, event, NOW) is False  # and once filled in, a redelivery changes nothing
    assert views.worklist(session, "salt", NOW) == []
    assert [i["service_request_id"] for i in views.worklist(session, "salt", NOW, status="withdrawn")] == [
        str(event.service_request_id)]


@pytest.mark.parametrize("kind", ["service_request.accepted", "service_request.declined",
                                  "service_request.breached", "service_request.released"])
def test_every_other_outcome_is_ignored(engine: Engine, kind: str) -> None:
    with Session(engine, expire_on_commit=False) as session:
        item = put(session)
    adapter = event_adapter(ServiceOutcome)

    def deliver(event: ServiceOutcome) -> str:
        return apply_record(engine, adapter, OUTCOME_HANDLERS, event.model_dump_json().encode(),
                            consumer="worklists.outcomes", service="worklists")

    assert ignore(Session(engine), withdrawn(item, kind=kind), NOW) is False
    assert deliver(withdrawn(item, kind=kind)) == "ignored"
    first = withdrawn(item)
    assert [deliver(first), deliver(first)] == ["applied", "duplicate"]
    with Session(engine) as s:
        assert [(p.consumer, p.event_id) for p in s.exec(select(ProcessedEvent)).all()] == [
            ("worklists.outcomes", first.event_id)]
        assert s.get(WorklistItem, item.id).status == "withdrawn"  # type: ignore[union-attr]
