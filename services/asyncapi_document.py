"""The AsyncAPI 3.0 document of every topic (schemas/asyncapi.json), read off the services' own code:

- channels: every topic `frontdoor topics create` makes (services/topics.py), dead-letter topics too;
- receive operations: every subscriber of every service's brokers (topics and consumer group);
- send operations: triage's publishers, and every `enqueue(session, event, topic=...)` call in services/
  (services/contract_sources.py);
- dead letters: every consumer writes `<topic>.dlq` for what it consumes; the DLQ tools read them;
- headers, keys and the document's own description (versions, delivery).

The payloads are the JSON Schemas of services/contracts.py; `frontdoor schemas export` writes both."""

from __future__ import annotations

import enum
import inspect
import re
import typing
from typing import Any

from pydantic import BaseModel

from schemas.audit import CHAIN_PATTERN, TOPIC_AUDIT_HEADS, AuditHeadPublished
from schemas.events import CONTRACT_VERSION, SCHEMA_VERSION, dlq_topic
from services.contract_sources import Operation, consumers, publishers
from services.contracts import EVENT_NAMES, component_schemas, dump

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0 component keys
DLQ_READER = "admin"  # `frontdoor dlq list|replay` and the front door's dead-letter page (services/common/dlq_tools.py)
KAFKA = "0.5.0"  # the AsyncAPI Kafka bindings version

# A channel without an operation on one side says why (the test accepts nothing else).
NO_OPERATION = {
    ("frontdoor.dsr.changes", "receive"): "published for the services' own systems: no Front Door service reads it",
    ("frontdoor.dsr.changes.dlq", "send"): "no Front Door service consumes frontdoor.dsr.changes, so none"
                                           " dead-letters it; the topic is there for an outside consumer's",
    (TOPIC_AUDIT_HEADS, "receive"): "read whole, without a consumer group, by `frontdoor audit verify` (and by each"
                                    " publisher before it publishes): the audit chain's witness",
    (dlq_topic(TOPIC_AUDIT_HEADS), "send"): "no consumer group reads frontdoor.audit.heads, so none dead-letters it",
}
# Events not keyed by child_id: their key, and no referral to correlate.
KEYS: dict[type[BaseModel], dict[str, Any]] = {
    AuditHeadPublished: {"type": "string", "pattern": CHAIN_PATTERN,
                         "description": "The audit chain's name (AUDIT_CHAIN): compaction keeps its latest head."},
}
CHANNEL_NOTES = {TOPIC_AUDIT_HEADS: "Compacted (cleanup.policy=compact), one partition: the latest head of each audit "
                                    "chain, published by the services that write audit rows, where the database's "
                                    "owner cannot rewrite it."}

EVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Kafka record headers, UTF-8 strings, kebab-case (the dead-letter headers add `x-`). "
                   "Readers still accept the snake_case names (`event_id`, `correlation_id`, ...) for one version.",
    "required": ["content-type", "event-id", "event-type", "schema-version"],
    "properties": {
        "content-type": {"type": "string", "const": "application/json"},
        "event-id": {"type": "string", "format": "uuid", "description": "The payload's event_id: the idempotency key."},
        "event-type": {"type": "string", "description": "The payload's event_type."},
        "schema-version": {"type": "string", "pattern": "^[1-9][0-9]*$",
                           "description": "The payload's schema_version."},
        "correlation-id": {"type": "string", "format": "uuid",
                           "description": "The payload's correlation_id (the referral); absent when it has none."},
        "x-replayed-from": {"type": "string", "description": "Set by a replay from a dead-letter topic: "
                                                             "`<dlq topic>:<partition>:<offset>`."},
        "correlation_id": {"type": "string", "deprecated": True,
                           "description": "Written by earlier versions (a per-publish id, not the event's "
                                          "correlation_id); no longer written."},
    },
}
DEAD_LETTER_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original record's headers, kept (so a replay restores them), plus these. "
                   "A replay drops every `x-` header and adds `x-replayed-from`.",
    "required": ["x-error", "x-original-topic", "x-original-partition", "x-original-offset", "x-attempts"],
    "properties": {
        "x-error": {"type": "string", "maxLength": 500, "description": "The error: its type, and for a "
                    "validation error the fields and problem kinds (never a value)."},
        "x-original-topic": {"type": "string"},
        "x-original-partition": {"type": "string", "pattern": "^[0-9]+$"},
        "x-original-offset": {"type": "string", "pattern": "^[0-9]+$"},
        "x-attempts": {"type": "string", "pattern": "^[0-9]+$"},
        "x-payload-omitted": {"type": "string", "pattern": "^[0-9]+$", "description": "Set when the record was "
                              "too big to copy: its size; the payload is empty, the record stays on its topic."},
        **{name: {**spec, "description": "As on the original record."}
           for name, spec in EVENT_HEADERS["properties"].items() if name != "x-replayed-from"},
    },
}


# ---- reading the producers and consumers off the code ----------------------------------------------------


def asyncapi() -> str:
    """The AsyncAPI 3.0 document: one channel per topic, one message per event, an operation per producer and
    per consumer group."""
    from services.topics import MAIN_TOPICS

    receives = consumers()
    sends = publishers()
    on_topic = {t: tuple(dict.fromkeys(m for op in sends if op.topic == t for m in op.models)) for t in MAIN_TOPICS}
    operations = [*sends, *receives]
    operations += [Operation(op.actor, "send", dlq_topic(op.topic), summary="Dead-letters a record it cannot "
                             "process (not JSON, not a known event, invalid), then moves on.") for op in receives]
    operations += [Operation(DLQ_READER, "receive", dlq_topic(t), summary="Lists the dead letters (never the "
                             "payloads) and replays chosen records to their original topic, key and headers kept.")
                   for t in MAIN_TOPICS]
    operations = _merged(operations)
    messages = {EVENT_NAMES[m]: _message(m) for t in MAIN_TOPICS for m in on_topic[t]}
    messages["dead-letter"] = {
        "name": "dead-letter", "title": "A record a consumer could not process",
        "contentType": "application/octet-stream",
        "payload": {"description": "The original record's value, byte for byte (it may not be JSON)."},
        "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "The original record's key."},
                               "bindingVersion": KAFKA}},
    }
    channels = {}
    for topic in MAIN_TOPICS:
        channels[topic] = _channel(topic, [EVENT_NAMES[m] for m in on_topic[topic]], CHANNEL_NOTES.get(topic, ""))
        channels[dlq_topic(topic)] = _channel(dlq_topic(topic), ["dead-letter"],
                                              f"Records of {topic} that a consumer could not process.")
    for (topic, action), reason in NO_OPERATION.items():
        channels[topic][f"x-frontdoor-no-{action}"] = reason
    ops = {_operation_id(op): _operation(op, channels) for op in operations}
    schemas_ = component_schemas() | {"EventHeaders": EVENT_HEADERS, "DeadLetterHeaders": DEAD_LETTER_HEADERS}
    for key in [*channels, *ops, *messages, *schemas_]:
        if not KEY_PATTERN.match(key):
            raise ValueError(f"not a valid AsyncAPI key: {key!r}")
    doc = {
        "asyncapi": "3.0.0",
        "info": {"title": "Front Door events", "version": CONTRACT_VERSION,
                 "description": "Topics, keys (child_id), headers and payloads of Front Door, contract "
                                f"{CONTRACT_VERSION}: every event's envelope carries schema_version "
                                f"{SCHEMA_VERSION} (the major version). Generated by `frontdoor schemas export` "
                                "from the services' code; do not edit."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": ops,
        "components": {"messages": messages, "schemas": schemas_},
    }
    return dump(doc)


def _merged(operations: list[Operation]) -> list[Operation]:
    """One operation per actor, action and topic, with every model it sends."""
    out: dict[tuple[str, str, str], Operation] = {}
    for op in sorted(operations, key=lambda o: (o.topic, o.action, o.actor)):
        key = (op.topic, op.action, op.actor)
        seen = out.get(key)
        out[key] = op if seen is None else Operation(op.actor, op.action, op.topic,
                                                     tuple(dict.fromkeys(seen.models + op.models)),
                                                     seen.summary or op.summary, seen.description or op.description)
    return list(out.values())


def _message(model: type[BaseModel]) -> dict[str, Any]:
    name = EVENT_NAMES[model]
    kinds = _event_types(model)
    message = {
        "name": name, "title": model.__name__,
        "summary": (inspect.getdoc(model) or name).split("\n\n")[0].replace("\n", " "),
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        "headers": {"allOf": [{"$ref": "#/components/schemas/EventHeaders"},
                              {"properties": {"event-type": {"type": "string", "enum": kinds}}}]},
        "correlationId": {"location": "$message.header#/correlation-id",
                          "description": "The referral the event belongs to (the payload's correlation_id)."},
        "bindings": {"kafka": {"key": KEYS.get(model, {"type": "string", "format": "uuid",
                                                        "description": "The child_id."}),
                               "bindingVersion": KAFKA}},
    }
    if model in KEYS:
        del message["correlationId"]
    return message


def _event_types(model: type[BaseModel]) -> list[str]:
    annotation = model.model_fields["event_type"].annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(m.value) for m in annotation]
    return [str(v) for v in typing.get_args(annotation)]


def _channel(topic: str, names: list[str], description: str = "") -> dict[str, Any]:
    return {
        "address": topic, "title": topic,
        **({"description": description} if description else {}),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in sorted(names)},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA}},
    }


def _operation_id(op: Operation) -> str:
    return f"{op.actor}.{op.action}.{op.topic}"


def _operation(op: Operation, channels: dict[str, Any]) -> dict[str, Any]:
    names = sorted({EVENT_NAMES[m] for m in op.models} if op.models else set(channels[op.topic]["messages"]))
    out: dict[str, Any] = {
        "action": op.action, "title": f"{op.actor} {op.action}s on {op.topic}",
        "channel": {"$ref": f"#/channels/{op.topic}"},
        "messages": [{"$ref": f"#/channels/{op.topic}/messages/{name}"} for name in names],
        "x-frontdoor-actor": op.actor,
    }
    out |= {field: getattr(op, field) for field in ("summary", "description") if getattr(op, field)}
    if op.action == "receive" and op.actor != DLQ_READER:
        out["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [f"frontdoor.{op.actor}"],
                                                 "description": "<KAFKA_GROUP_PREFIX>." + op.actor},
                                     "bindingVersion": KAFKA}}
    return out


