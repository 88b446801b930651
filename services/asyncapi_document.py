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
from schemas.events import CONTRACT_VERSION, SCHEMA_VERSION, ChildMerged, ChildUnmerged, dlq_topic
from schemas.wire import RFC3339_PATTERN, UUID_PATTERN
from services.common.broker import event_headers, event_source
from services.contract_examples import events as example_events
from services.contract_examples import payload as example_payload
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
    **{model: {"type": "string", "format": "uuid", "pattern": UUID_PATTERN,
               "description": "The merged_id (the child record merged into another): a merge and its undo stay "
                              "in order."} for model in (ChildMerged, ChildUnmerged)},
}
NO_CORRELATION = {AuditHeadPublished, ChildMerged, ChildUnmerged}  # never about one referral
CHANNEL_NOTES = {TOPIC_AUDIT_HEADS: "Compacted (cleanup.policy=compact), one partition: the latest head of each audit "
                                    "chain, published by the services that write audit rows, where the database's "
                                    "owner cannot rewrite it."}

SOURCES = [event_source(f"frontdoor-{service}") for service in ("intake", "triage", "dsr", "worklists")]
ONE_VERSION = ("Written beside the CloudEvents headers throughout contract 1.x, and for at least six months after "
               "1.4.0 (when the ce_ headers came); readers should move to {}.")
EVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Kafka record headers, UTF-8 strings: the CloudEvents 1.0 Kafka protocol binding's (binary "
                   "content mode: `ce_` attributes, `content-type`; the message trait `cloudEvents`) and Front Door's "
                   "own, kebab-case (the dead-letter headers add `x-`). Readers still accept the snake_case names "
                   "(`event_id`, `correlation_id`, ...) for one version.",
    "required": ["content-type", "event-id", "event-type", "schema-version",
                 "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
    "properties": {
        "content-type": {"type": "string", "const": "application/json",
                         "description": "The payload's media type (CloudEvents' datacontenttype)."},
        "event-id": {"type": "string", "format": "uuid", "deprecated": True,
                     "description": "The payload's event_id: the idempotency key. " + ONE_VERSION.format("ce_id")},
        "event-type": {"type": "string", "deprecated": True,
                       "description": "The payload's event_type. " + ONE_VERSION.format("ce_type")},
        "schema-version": {"type": "string", "pattern": "^[1-9][0-9]*$",
                           "description": "The payload's schema_version (the contract's major version)."},
        "correlation-id": {"type": "string", "format": "uuid",
                           "description": "The payload's correlation_id (the referral); absent when it has none."},
        "ce_specversion": {"type": "string", "const": "1.0", "description": "The CloudEvents version."},
        "ce_id": {"type": "string", "format": "uuid", "pattern": UUID_PATTERN,
                  "description": "The payload's event_id: the idempotency key (a redelivery has the same one)."},
        "ce_source": {"type": "string", "enum": SOURCES,
                      "description": "The producing service: `/frontdoor/<service>`. `ce_source` and `ce_id` "
                                     "together are unique, as CloudEvents asks (ce_id alone is too)."},
        "ce_type": {"type": "string", "description": "The payload's event_type, e.g. `referral.submitted`."},
        "ce_time": {"type": "string", "format": "date-time", "pattern": RFC3339_PATTERN,
                    "description": "The payload's occurred_at, in UTC (RFC 3339, `Z`)."},
        "ce_subject": {"type": "string", "format": "uuid", "pattern": UUID_PATTERN,
                       "description": "What the event is about: its referral (referral_id, else correlation_id) "
                                      "when it has one, else its child (child_id; merged_id on child.merged and "
                                      "child.unmerged, the record's key); absent on audit.head_published."},
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
        "content-type": {"type": "string", "minLength": 1, "description": "As on the original record; "
                         "`application/octet-stream` when it had none (the payload is the original's bytes)."},
    },
}


DEAD_LETTER_EXAMPLE = {
    "name": "dead-letter-example", "summary": "A record without headers that was not JSON, dead-lettered by triage",
    "headers": {"content-type": "application/octet-stream", "x-error": "JSONDecodeError: line 1 column 1",
                "x-original-topic": "frontdoor.referrals.submitted", "x-original-partition": "2",
                "x-original-offset": "118", "x-attempts": "1"},
    "payload": "not JSON",
}

CLOUDEVENTS_BINDING = "https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md"
CLOUDEVENTS: dict[str, Any] = {
    "description": (
        "Every event is a CloudEvent (CloudEvents 1.0) in the Kafka protocol binding's binary content mode: the "
        "record's value is the event's data (the payload, JSON), its attributes are headers. `ce_specversion` "
        "`1.0`; `ce_id` the payload's event_id; `ce_source` the producing service, `/frontdoor/<service>` (intake, "
        "triage, dsr, worklists); `ce_type` the payload's event_type; `ce_time` its occurred_at in UTC (RFC 3339); "
        "`ce_subject` the referral the event is about, else its child (absent on audit.head_published); "
        "`content-type` `application/json` (the datacontenttype); the record's key is the partitioning key. There "
        "is no `ce_dataschema`: `schema-version` and the payload's schema_version give the major version. Front "
        "Door's own headers (`event-id`, `event-type`, `schema-version`, `correlation-id`) are written beside them; "
        "`event-id` and `event-type` repeat `ce_id` and `ce_type` and are kept throughout contract 1.x, for at "
        "least six months after 1.4.0. The headers' schema: EventHeaders."),
    "externalDocs": {"description": "CloudEvents 1.0 Kafka protocol binding", "url": CLOUDEVENTS_BINDING},
    "tags": [{"name": "cloudevents", "description": "A CloudEvent, binary content mode."}],
}

SECURITY_SCHEMES = {
    "scramSha512": {"type": "scramSha512", "description": "SASL SCRAM-SHA-512 over TLS: KAFKA_SECURITY_PROTOCOL="
                    "SASL_SSL, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (the mechanism used when "
                    "KAFKA_SASL_MECHANISM is not set)."},
    "scramSha256": {"type": "scramSha256", "description": "SASL SCRAM-SHA-256 over TLS: KAFKA_SECURITY_PROTOCOL="
                    "SASL_SSL, KAFKA_SASL_MECHANISM=SCRAM-SHA-256, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD."},
    "plain": {"type": "plain", "description": "SASL PLAIN over TLS: KAFKA_SECURITY_PROTOCOL=SASL_SSL, "
              "KAFKA_SASL_MECHANISM=PLAIN, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD."},
}
SERVERS = {
    "production": {
        "host": "{bootstrap}", "protocol": "kafka-secure", "title": "The council's Kafka cluster",
        "description": "TLS (the system's certificate authorities) with SASL: KAFKA_SECURITY_PROTOCOL=SASL_SSL, as "
                       "the README's \"Production\" asks. One of the mechanisms below; SCRAM-SHA-512 unless "
                       "KAFKA_SASL_MECHANISM says otherwise. Topics, their ACLs and settings: deploy/topics.yaml.",
        "variables": {"bootstrap": {"description": "The broker's address, host:port (KAFKA_BOOTSTRAP_SERVERS, a "
                                                   "comma-separated list: any one of them)",
                                    "examples": ["kafka-1.example.org:9093"]}},
        "security": [{"$ref": f"#/components/securitySchemes/{name}"} for name in SECURITY_SCHEMES],
    },
    "development": {
        "host": "{bootstrap}", "protocol": "kafka", "title": "The embedded broker",
        "description": "`make run`, the demo stack and the tests: the embedded broker (Tansu) on a loopback "
                       "address, PLAINTEXT (KAFKA_SECURITY_PROTOCOL's default), no authentication.",
        "variables": {"bootstrap": {"default": "localhost:9092", "description": "KAFKA_BOOTSTRAP_SERVERS"}},
    },
}

DESCRIPTION = f"""Topics, keys, headers and payloads of Front Door's events, contract {CONTRACT_VERSION}. \
Generated by `frontdoor schemas export` from the services' code; do not edit.

## Versions

`info.version` is the contract's version (semantic versioning). Every payload's `schema_version`, and its \
`schema-version` header, is the major version: now {SCHEMA_VERSION}.

- **A minor version** (1.3 to 1.4) only adds: an optional field (left out when it has no value, never written \
as `null`), an event type on an existing topic, a header, a topic, a looser limit. A record written under an \
earlier minor version is valid under the later one. A reader should pass by fields, event types and headers it \
does not know. One that validates with these schemas (`additionalProperties: false`, an `enum` of event types) \
must take a minor version's schemas before it receives records that use it. Front Door's own consumers are \
released with its producers, so they know every field and event type of their release; they decode strictly, \
and dead-letter a record with a field or an event type they do not know (`<topic>.dlq`).
- **A major version** is any change a reader must act on: a field removed or renamed, a new required field, a \
changed type, meaning or limit that refuses what was valid, a changed key or topic, a header removed. The \
envelope's `schema_version` is raised, and for at least six months, and at least one release, after the new \
major is first written, producers write each event in both majors on the same topic with the same key and \
`event_id`, so a reader moves when it is ready; the README and `info.version` say when the old one stops. A \
reader reads the majors it knows and passes by (does not dead-letter) a record whose `schema_version` is higher: \
with the same `event_id` it deduplicates the two forms. Front Door's consumers read major {SCHEMA_VERSION} and \
pass by a record whose `schema_version` is higher (neither applied nor dead-lettered, nor remembered: a replay \
once they read that major is applied).

## Delivery

- **At least once.** Producers write each event in the same database transaction as the change it records (an \
outbox) and publish with `acks=all`, retrying; consumers commit a record's offset only after its effect is \
stored. So a record can arrive more than once: a publish retried, a relay or intake's safety net publishing an \
undecided referral's event again, a consumer restarted or rebalanced before its commit, a replay from a \
dead-letter topic.
- **Deduplicate on `event_id`** (`ce_id`, `event-id`): a copy has the same one. Events made in reaction to \
another (triage's decisions and service requests) take an `event_id` and an `occurred_at` derived from their \
input, so a redelivered input gives the very same output. Front Door's consumers record each event_id they \
apply in the transaction that applies it.
- **Order only per key** within a topic: the key is the child (child_id; merged_id on frontdoor.children; the \
audit chain on frontdoor.audit.heads). Nothing is ordered across keys or topics, and with several intake \
replicas two events of one child can be published out of the order they happened: use `occurred_at`.
- **Retention**: 7 days on every topic, 28 days on dead-letter topics, frontdoor.audit.heads compacted \
(each channel's Kafka binding): a consumer further behind than that misses records.

## Headers

The CloudEvents Kafka binding, binary content mode (the message trait `cloudEvents`), and Front Door's own \
kebab-case headers: the EventHeaders schema."""

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
    sources = {m: sorted({event_source(f"frontdoor-{op.actor}") for op in sends if m in op.models},
                         key=SOURCES.index) for t in MAIN_TOPICS for m in on_topic[t]}
    examples = {type(e): e for e in example_events()}
    messages = {EVENT_NAMES[m]: _message(m, sources[m], examples[m]) for t in MAIN_TOPICS for m in on_topic[t]}
    messages["dead-letter"] = {
        "name": "dead-letter", "title": "A record a consumer could not process",
        "contentType": "application/octet-stream",
        "payload": {"description": "The original record's value, byte for byte (it may not be JSON)."},
        "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
        "bindings": {"kafka": {"key": {"anyOf": [{"type": "string"}, {"type": "null"}],
                                       "description": "The original record's key: none when it had none (a record "
                                                      "from outside may come without one)."},
                               "bindingVersion": KAFKA}},
        "examples": [DEAD_LETTER_EXAMPLE],
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
        "info": {"title": "Front Door events", "version": CONTRACT_VERSION, "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": SERVERS,
        "channels": channels,
        "operations": ops,
        "components": {"messages": messages, "schemas": schemas_, "messageTraits": {"cloudEvents": CLOUDEVENTS},
                       "securitySchemes": SECURITY_SCHEMES},
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


def _message(model: type[BaseModel], sources: list[str], example: BaseModel) -> dict[str, Any]:
    name = EVENT_NAMES[model]
    kinds = _event_types(model)
    message = {
        "name": name, "title": model.__name__,
        "summary": _summary(model),
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        "headers": {"allOf": [{"$ref": "#/components/schemas/EventHeaders"},
                              {"type": "object", "properties": {
                                  "event-type": {"type": "string", "enum": kinds},
                                  "ce_type": {"type": "string", "enum": kinds},
                                  "ce_source": {"type": "string", "enum": sources}}}]},
        "correlationId": {"location": "$message.header#/correlation-id",
                          "description": "The referral the event belongs to (the payload's correlation_id)."},
        "bindings": {"kafka": {"key": KEYS.get(model, {"type": "string", "format": "uuid", "pattern": UUID_PATTERN,
                                                        "description": "The child_id."}),
                               "bindingVersion": KAFKA}},
        "traits": [{"$ref": "#/components/messageTraits/cloudEvents"}],
        "examples": [_example(example, sources[0])],
    }
    if model in NO_CORRELATION:
        del message["correlationId"]
    return message


def _summary(model: type[BaseModel]) -> str:
    """The model's own docstring's first paragraph (not the envelope's, which every event inherits), else its type."""
    own = inspect.cleandoc(model.__dict__.get("__doc__") or "")
    return own.split("\n\n")[0].replace("\n", " ") or f"A {EVENT_NAMES[model]} event."


def _example(event: BaseModel, source: str) -> dict[str, Any]:
    """The record as its producer writes it: its headers (event_headers, as every publisher writes them) and value."""
    return {"name": f"{EVENT_NAMES[type(event)].replace('.', '-')}-example",
            "summary": f"{_kind(event)} as {source} writes it (made-up data)",
            "headers": event_headers(event, source=source), "payload": example_payload(event)}


def _kind(event: BaseModel) -> str:
    kind = getattr(event, "event_type", "")
    return str(getattr(kind, "value", kind))


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
        "bindings": {"kafka": {"topic": topic, **topic_settings(topic), "bindingVersion": KAFKA}},
    }


def topic_settings(topic: str) -> dict[str, Any]:
    """The topic's partitions (KAFKA_TOPIC_PARTITIONS' default where the setting applies) and configuration as
    `frontdoor topics create` makes it (services/topics.py; deploy/topics.yaml says the same)."""
    from services.common.settings import Settings
    from services.topics import TOPIC_CONFIGS, all_topics

    configs = TOPIC_CONFIGS.get(topic, {})
    policy = configs.get("cleanup.policy", "delete")
    return {"partitions": all_topics(Settings.model_fields["kafka_topic_partitions"].default)[topic],
            "topicConfiguration": {"cleanup.policy": policy.split(","),
                                   **({"retention.ms": int(configs["retention.ms"])} if "retention.ms" in configs
                                      else {})}}


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


