"""structlog set-up for every service: JSON lines (console on a TTY), per-message context, and no
personal data ever. Values reach a log line only under allow-listed keys; exceptions are rendered as
their type and frames, never their message or locals (a ValidationError's message quotes input)."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

# Keys whose values are safe to log: ids, technical facts, counts. Anything else is redacted.
SAFE_KEYS = frozenset(
    {
        "event", "level", "timestamp", "logger", "service", "component",
        "event_id", "event_type", "referral_id", "child_id", "service_request_id", "correlation_id",
        "topic", "partition", "offset", "group", "key_hash", "attempt", "attempts", "delay_s",
        "outcome", "routes", "route_count", "services", "ruleset_version", "count", "published",
        "status_code", "method", "path", "role", "error", "error_type", "exception", "url",
        "bootstrap", "database", "port", "pid", "seconds", "duration_ms", "lag", "reason_code",
        "message_id", "dlq_topic", "problems", "fields", "version",
        "audit_chain", "audit_head_id", "audit_head_hash", "audit_head_at",  # the audit witness: no personal data
    }
)
REDACTED = "[redacted]"


def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key in list(event_dict):
        if key not in SAFE_KEYS:
            event_dict[key] = REDACTED
    return event_dict


def render_exception_safely(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Replace exc_info with the exception's type and frames (file:line in function): no message, no locals."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        if exc_info is True:
            exc_info = sys.exc_info()
        elif isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        if exc_info and exc_info[0] is not None:
            frames = traceback.extract_tb(exc_info[2])[-8:]
            event_dict["exception"] = {
                "type": exc_info[0].__name__,
                "frames": [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames],
            }
    event_dict.pop("stack_info", None)
    return event_dict


def _stdlib_event(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # A third-party record's formatted message may carry anything: keep its logger name and a
    # bounded message only from loggers known to log technical text.
    # FastStream's warnings and errors quote exception text (a ValidationError quotes its input), so
    # only its routine lines (received/processed) keep their text.
    record: logging.LogRecord | None = event_dict.get("_record")
    if record is not None and not record.name.startswith(("frontdoor", "services")):
        message = str(event_dict.get("event", ""))
        technical = record.name.startswith(_TECHNICAL_LOGGERS) or (
            record.name.startswith("faststream") and record.levelno < logging.WARNING
        )
        event_dict["event"] = message[:300] if technical else record.name
    return event_dict


_TECHNICAL_LOGGERS = ("uvicorn", "aiokafka", "alembic", "kafka")


def configure_logging(*, level: str = "INFO", fmt: str = "auto", stream: Any = None) -> None:
    """Route structlog and stdlib logging through one redacting pipeline. Safe to call again."""
    import faststream  # noqa: F401  # it installs its own stderr handler at import: import first, then take it over
    stream = stream or sys.stderr
    json_output = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        render_exception_safely,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[_stdlib_event, structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "faststream.access.kafka", "aiokafka"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
    # One line per HTTP request: frontdoor.http writes it (with the route, not the raw path); uvicorn's
    # access line would say the same again.
    logging.getLogger("uvicorn.access").setLevel(max(logging.WARNING, root.level))


def get_logger(name: str = "frontdoor") -> Any:
    return structlog.get_logger(name)
