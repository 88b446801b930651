"""The handling kit itself: decode once, dispatch by type, dedupe, roll back what changes nothing,
and the audit row written with the use case or not at all."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import ServiceOutcome, TriageDecided
from services.common.consuming import apply_record, event_adapter, handler_for
from services.common.errors import NotFoundError
from services.common.tables import AuditEntry, OutboxMessage, ProcessedEvent
from services.common.transactions import Subject, run_audited
from services.common.transient import PermanentError
from tests.handlers.conftest import NOW, principal

ADAPTER = event_adapter(TriageDecided, ServiceOutcome)


def outcome_body(kind: str = "service_request.accepted") -> bytes:
    ids = {k: str(uuid.uuid4()) for k in ("event_id", "service_request_id", "referral_id", "child_id")}
    return ServiceOutcome.model_validate(ids | {
        "occurred_at": NOW.isoformat(), "event_type": kind, "service": "salt", "by": "w", "pathway": "community",
        "due_by": NOW.isoformat(),
    }).model_dump_json().encode()


def test_the_adapter_picks_the_model_by_event_type() -> None:
    assert isinstance(ADAPTER.validate_json(outcome_body("service_request.declined")), ServiceOutcome)


@pytest.mark.parametrize(
    "body", [b"", b"not json", b'{"event_type": "referral.submitted"}', b'{"event_type": 7}', b"[]"])
def test_anything_else_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_json(body)


def test_a_family_of_event_types_has_one_handler_and_an_unknown_type_is_permanent() -> None:
    def family(*_: object) -> bool:
        return True

    def exact(*_: object) -> bool:
        return True

    handlers = {"service_request.*": family, "service_request.breached": exact}
    assert handler_for(handlers, "service_request.accepted") is family
    assert handler_for(handlers, "service_request.breached") is exact
    with pytest.raises(PermanentError):
        handler_for(handlers, "triage.decided")


def test_an_applied_event_is_recorded_once_and_a_redelivery_never_reaches_the_handler(engine: Engine) -> None:
    calls: list[str] = []

    def handler(session: Session, event: ServiceOutcome, now: object) -> bool:
        calls.append(event.event_type.value)
        session.add(OutboxMessage(id=uuid.uuid4(), topic="t", key="k", payload="{}"))
        return True

    body = outcome_body()
    handlers = {"service_request.*": handler}
    assert apply_record(engine, ADAPTER, handlers, body, consumer="c", service="test") == "applied"
    assert apply_record(engine, ADAPTER, handlers, body, consumer="c", service="test") == "duplicate"
    assert calls == ["service_request.accepted"]
    with Session(engine) as s:
        assert len(s.exec(select(ProcessedEvent)).all()) == 1
        assert len(s.exec(select(OutboxMessage)).all()) == 1


def test_an_event_that_means_nothing_here_writes_nothing_not_even_its_id(engine: Engine) -> None:
    def handler(session: Session, event: ServiceOutcome, now: object) -> bool:
        session.add(OutboxMessage(id=uuid.uuid4(), topic="t", key="k", payload="{}"))
        return False

    assert apply_record(engine, ADAPTER, {"service_request.*": handler}, outcome_body(), consumer="c",
                        service="test") == "ignored"
    with Session(engine) as s:
        assert s.exec(select(ProcessedEvent)).all() == [] and s.exec(select(OutboxMessage)).all() == []


def test_a_use_case_and_its_audit_row_commit_together_and_a_refusal_keeps_its_own(engine: Engine) -> None:
    by = principal("worker-1", "worker:salt")
    record = uuid.uuid4()
    assert run_audited(engine, lambda s: 42, by=by, action="worklist.read", about=Subject(record_id=record)) == 42

    def refused(session: Session) -> None:
        session.add(OutboxMessage(id=uuid.uuid4(), topic="t", key="k", payload="{}"))  # rolled back with it
        raise NotFoundError()

    with pytest.raises(NotFoundError):
        run_audited(engine, refused, by=by, action="worklist.read", refused_about=Subject(record_id=record))
    run_audited(engine, lambda s: None, by=by, action="intake.read", about=lambda result: None)  # nothing shown: no row
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry)).all()
        assert s.exec(select(OutboxMessage)).all() == []
    assert [(r.actor, r.role, r.action, r.record_id, r.outcome, r.status) for r in rows] == [
        ("worker-1", "worker:salt", "worklist.read", record, "allowed", None),
        ("worker-1", "worker:salt", "worklist.read", record, "not_found", 404)]


def test_a_validation_error_names_the_event_type_not_the_python_class() -> None:
    from schemas import ReferralRedirected, ReferralSubmitted
    from services.common.consumer_errors import safe_error_summary

    with pytest.raises(ValidationError) as submitted:
        event_adapter(ReferralSubmitted, ReferralRedirected).validate_json(b'{"event_type": "referral.submitted"}')
    with pytest.raises(ValidationError) as outcome:
        ADAPTER.validate_json(b'{"event_type": "service_request.accepted"}')
    assert "referral.submitted.event_id: missing" in safe_error_summary(submitted.value)
    assert "service_request.*.event_id: missing" in safe_error_summary(outcome.value)
