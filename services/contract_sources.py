"""Who sends and who receives on each topic, read off the services' own code for the AsyncAPI document
(`services/asyncapi_document.py`): every subscriber of every service's brokers (topics and consumer group), triage's
publishers, and every `enqueue(session, event, topic=...)` call in services/ (read from the source, the event's
model from its constructor, the function's return annotation or the parameter's annotation, so a new producer
cannot be left out of the document)."""

from __future__ import annotations

import ast
import importlib
import inspect
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SERVICES = Path(__file__).parent


@dataclass(frozen=True)
class Operation:
    actor: str  # the service that sends, the consumer group (without its prefix) that receives, or DLQ_READER
    action: str  # "send" or "receive"
    topic: str
    models: tuple[type[BaseModel], ...] = ()
    summary: str = ""
    description: str = ""


def _brokers() -> list[Any]:
    """Every service's brokers, built as the services build them (nothing connects; no engine needed)."""
    from services.common.broker import make_broker
    from services.common.settings import Settings
    from services.dsr.main import build_router as dsr_router
    from services.intake.main import build_router as intake_router
    from services.policy.ruleset.in_force import ruleset_in_force
    from services.triage.handlers import build_router as triage_router
    from services.worklists.main import build_brokers as worklists_brokers

    settings = Settings(kafka_group_prefix="frontdoor")
    routers = {"triage": triage_router(settings, ruleset_in_force(settings.ruleset_path)),
               "intake": intake_router(settings, None),  # type: ignore[arg-type]
               "dsr": dsr_router(settings, None)}  # type: ignore[arg-type]
    brokers = [(name, make_broker(settings, client_id=name, routers=(router,))) for name, router in routers.items()]
    return brokers + [("worklists", b) for b in worklists_brokers(settings, None)]  # type: ignore[arg-type]


def consumers() -> list[Operation]:
    """One receive operation per consumer group and topic."""
    out = []
    for _, broker in _brokers():
        for sub in broker.subscribers:
            group = str(sub.group_id).removeprefix("frontdoor.")
            config = sub.specification.config
            for topic in sub.topics:
                out.append(Operation(group, "receive", topic.name, summary=config.title_ or "",
                                     description=config.description_ or ""))
    return out


def publishers() -> list[Operation]:
    """Triage publishes directly (FastStream publishers, each with its model); the rest use the outbox."""
    out = []
    for service, broker in _brokers():
        for pub in broker.publishers:
            config = pub.specification.config
            out.append(Operation(service, "send", config.topic, (config.schema_,)))
    return out + outbox_producers() + witness_producers()


def witness_producers(root: Path = SERVICES) -> list[Operation]:
    """Every service whose code runs the audit witness (`witness_job(...)` under services/<service>/): it publishes
    the audit chain's head straight to the broker, not through the outbox."""
    from schemas.audit import TOPIC_AUDIT_HEADS, AuditHeadPublished

    found = sorted({path.relative_to(root).parts[0] for path in root.glob("*/**/*.py")
                    if any(isinstance(node, ast.Call) and _name(node.func).rpartition(".")[2] == "witness_job"
                           for node in ast.walk(ast.parse(path.read_text(), str(path))))})
    return [Operation(service, "send", TOPIC_AUDIT_HEADS, (AuditHeadPublished,)) for service in found]


def outbox_producers(root: Path = SERVICES) -> list[Operation]:
    """Every `enqueue(session, event, topic=...)` call under services/<service>/: the service, the topic and
    the event's model(s). An event whose model cannot be read off the code is an error, not a gap."""
    out = []
    for path in sorted(root.glob("*/**/*.py")):
        tree = ast.parse(path.read_text(), str(path))
        calls = [(fn, call) for fn in _functions(tree) for call in ast.walk(fn)
                 if isinstance(call, ast.Call) and _name(call.func).rpartition(".")[2] == "enqueue"]
        if not calls:
            continue
        module = importlib.import_module(".".join(path.relative_to(root.parent).with_suffix("").parts))
        service = path.relative_to(root).parts[0]
        for fn, call in calls:
            where = f"{path.relative_to(root.parent)}:{call.lineno}"
            topic = next((_resolve(module, k.value, where) for k in call.keywords if k.arg == "topic"), None)
            event = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "event"),
                                                                  None)
            if not isinstance(topic, str) or event is None:
                raise ValueError(f"{where}: enqueue without a topic constant or an event")
            out.append(Operation(service, "send", topic, _event_models(module, fn, event, where)))
    return out


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := _name(node.value)):
        return f"{base}.{node.attr}"
    return ""


def _resolve(module: types.ModuleType, node: ast.expr, where: str) -> Any:
    """A name or dotted name in `module` (nothing is evaluated)."""
    dotted = _name(node)
    if not dotted:
        raise ValueError(f"{where}: not a name: {ast.unparse(node)}")
    value: Any = module
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _event_models(module: types.ModuleType, fn: ast.FunctionDef | ast.AsyncFunctionDef, event: ast.expr,
                  where: str) -> tuple[type[BaseModel], ...]:
    if isinstance(event, ast.Call):
        made = _resolve(module, event.func, where)
        return _models_of(made, where) if isinstance(made, type) else _annotated(made, "return", where)
    if isinstance(event, ast.Name):
        function = getattr(module, fn.name)
        if event.id in inspect.signature(function).parameters:
            return _annotated(function, event.id, where)
        made = [node.value for node in ast.walk(fn) if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == event.id for t in node.targets)]
        if made:
            return tuple(dict.fromkeys(m for value in made for m in _event_models(module, fn, value, where)))
    raise ValueError(f"{where}: cannot tell the event's model from {ast.unparse(event)}")


def _annotated(function: Any, name: str, where: str) -> tuple[type[BaseModel], ...]:
    """The models a function's annotation names (`Model` or `A | B`), read without evaluating the others."""
    annotation = inspect.get_annotations(function).get(name)
    if not isinstance(annotation, str):
        return _models_of(annotation, where)
    module = importlib.import_module(function.__module__)
    parts: list[ast.expr] = [ast.parse(annotation, mode="eval").body]
    found: list[type[BaseModel]] = []
    while parts:
        node = parts.pop(0)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts += [node.left, node.right]
        else:
            found += _models_of(_resolve(module, node, where), where)
    return tuple(found)


def _models_of(annotation: Any, where: str) -> tuple[type[BaseModel], ...]:
    found = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) \
        else (annotation,)
    from services.contracts import EVENT_NAMES  # the exported events (contracts imports this module)

    if not found or not all(m in EVENT_NAMES for m in found):
        raise ValueError(f"{where}: not an event model: {annotation!r}")
    return tuple(found)


# ---- the document ------------------------------------------------------------------------------------------


