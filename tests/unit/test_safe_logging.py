"""No personal data in log lines or error summaries, whatever a caller passes."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from schemas import Referral
from services.common.consumer_errors import safe_error_summary
from services.common.logging import configure_logging, get_logger
from services.common.transient import PermanentError, is_transient
from tests.factories import CANARIES, CANARY_FAMILY, CANARY_GIVEN, referral_body


@pytest.fixture()
def logs() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=buffer)
    return buffer


def validation_error_with_canaries() -> ValidationError:
    try:
        Referral.model_validate(referral_body(impact=CANARY_GIVEN, channel=CANARY_FAMILY))
    except ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


def test_unknown_keys_are_redacted_and_ids_kept(logs: io.StringIO) -> None:
    get_logger("frontdoor.test").info("submitted", referral_id="r-1", given_name=CANARY_GIVEN,
                                      body={"x": CANARY_FAMILY})
    line = json.loads(logs.getvalue())
    assert line["referral_id"] == "r-1"
    assert line["given_name"] == "[redacted]" and line["body"] == "[redacted]"


def test_exceptions_are_logged_as_type_and_frames_without_message_or_locals(logs: io.StringIO) -> None:
    secret = CANARY_GIVEN  # a local a traceback renderer with show_locals would print
    try:
        raise ValueError(f"bad value {secret}")
    except ValueError:
        get_logger("frontdoor.test").exception("failed")
    line = json.loads(logs.getvalue())
    assert line["exception"]["type"] == "ValueError"
    assert line["exception"]["frames"]
    assert CANARY_GIVEN not in logs.getvalue()


def test_third_party_warnings_lose_their_text(logs: io.StringIO) -> None:
    logging.getLogger("faststream.access.kafka").error("ValidationError: input_value=%r", CANARY_GIVEN)
    logging.getLogger("faststream.access.kafka").info("Received")
    text = logs.getvalue()
    assert CANARY_GIVEN not in text and "Received" in text


def test_validation_error_summary_names_fields_not_values() -> None:
    summary = safe_error_summary(validation_error_with_canaries())
    assert "impact" in summary and "channel" in summary
    assert not any(c in summary for c in CANARIES)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (PermanentError("rule failed"), False),
        (ValueError("x"), False),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), False),
        (json.JSONDecodeError("Expecting value", "x", 0), False),
        (RecursionError(), False),
    ],
)
def test_only_dependency_failures_are_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_database_and_broker_outages_are_transient() -> None:
    from aiokafka.errors import KafkaConnectionError
    from sqlalchemy.exc import OperationalError

    assert is_transient(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert is_transient(KafkaConnectionError())
    assert not is_transient(validation_error_with_canaries())
