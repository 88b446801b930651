"""A record of a later major version (its `schema_version` above the one this code knows) is passed by, not applied
and not dead-lettered (issue 24, item 10: the versioning policy). Producers write both majors on the same topic
while readers move over, so a reader of major 1 must let major 2's copies go by: dead-lettering them would fill the
dead-letter topic with records nobody needs to look at, and reading them as major 1 could misread a field whose
meaning changed."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas.events import SCHEMA_VERSION
from services.common.consuming import LaterVersion, apply_record, event_adapter
from services.common.tables import ProcessedEvent
from services.dsr.main import CONSUMER, HANDLERS, MODELS
from services.triage.handlers import decide_record
from tests.handlers.test_dsr import decision
from tests.handlers.test_triage import MULTI, RULESET

ADAPTER = event_adapter(*MODELS)


def later(record: dict[str, object], **changes: object) -> bytes:
    return json.dumps(record | {"schema_version": SCHEMA_VERSION + 1} | changes).encode()


def deliver(engine: Engine, body: bytes) -> str:
    return apply_record(engine, ADAPTER, HANDLERS, body, consumer=CONSUMER, service="dsr")


def test_a_record_of_a_later_major_is_passed_by_and_changes_nothing(engine: Engine) -> None:
    record = json.loads(decision(uuid.uuid4()).model_dump_json())
    assert deliver(engine, later(record)) == "passed by: a later schema_version"
    with Session(engine) as session:
        assert session.exec(select(ProcessedEvent)).all() == []  # not even remembered: nothing was done with it
    assert deliver(engine, json.dumps(record).encode()) == "applied"  # its major-1 copy is applied as ever


def test_a_later_major_written_as_an_integral_float_is_later_too(engine: Engine) -> None:
    """JSON Schema's integer admits 2.0, and so does the wire (item 7)."""
    record = json.loads(decision(uuid.uuid4()).model_dump_json())
    outcome = deliver(engine, later(record, schema_version=float(SCHEMA_VERSION + 1)))
    assert outcome == "passed by: a later schema_version"


def test_a_later_majors_record_this_code_cannot_read_is_passed_by_too_not_dead_lettered(engine: Engine) -> None:
    record = json.loads(decision(uuid.uuid4()).model_dump_json())
    renamed = {k: v for k, v in record.items() if k != "routes"} | {"requests": record["routes"]}
    assert deliver(engine, later(renamed)) == "passed by: a later schema_version"


@pytest.mark.parametrize("version", [SCHEMA_VERSION, float(SCHEMA_VERSION), "2", True, None])
def test_only_a_whole_number_above_the_known_major_is_later(engine: Engine, version: object) -> None:
    """Anything else is the record's validity's business: a string or a bool stays a field error for the DLQ."""
    record = json.loads(decision(uuid.uuid4()).model_dump_json()) | {"schema_version": version}
    try:
        outcome = deliver(engine, json.dumps(record).encode())
    except LaterVersion:
        pytest.fail(f"{version!r} read as a later major version")
    except Exception:  # noqa: BLE001 - refused as invalid: the DLQ's business, which is the point
        return
    assert outcome == "applied"


def test_triage_passes_a_later_major_by_rather_than_dead_letter_it() -> None:
    with pytest.raises(LaterVersion) as passed:
        decide_record(later(MULTI), RULESET)
    assert str(passed.value) == f"schema_version {SCHEMA_VERSION + 1} is later than {SCHEMA_VERSION}"


def test_a_record_nested_too_deep_to_read_is_still_refused_as_invalid_not_a_recursion_error() -> None:
    """Looking for a later version in a record the decoder refused reads the JSON once more: a record nested too
    deep for that is refused as it was (a validation error the dead letter names), never a RecursionError."""
    with pytest.raises(ValidationError):
        ADAPTER.validate_json("[" * 100_000 + "]" * 100_000)
