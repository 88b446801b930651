"""Export the contracts: JSON Schema per model and the AsyncAPI document of every service's topics.

The files live in schemas/ (json/*.schema.json, asyncapi.json); the export lives here because the
AsyncAPI document is read off the services' own consumers, and schemas/ imports nothing from services/.
`frontdoor schemas export` writes them; tests/unit/test_contract_files.py fails when they drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import BaseModel, Field, TypeAdapter

import schemas
from schemas.events import (
    ChildMerged,
    ChildUnmerged,
    DsrChanged,
    EmergencyUnanswered,
    OverrideRequested,
    ReferralRedirected,
    ReferralSubmitted,
    ServiceOutcome,
    ServiceRequestCreated,
    TriageDecided,
    TriageOverridden,
)
from schemas.referral import Referral

SCHEMAS = Path(schemas.__file__).parent
JSON_DIR = SCHEMAS / "json"
ASYNCAPI = SCHEMAS / "asyncapi.json"

MODELS: dict[str, type[BaseModel]] = {
    "referral": Referral,
    "referral.submitted": ReferralSubmitted,
    "triage.decided": TriageDecided,
    "service_request.created": ServiceRequestCreated,
    "service_request.outcome": ServiceOutcome,
    "dsr.changed": DsrChanged,
    "referral.redirected": ReferralRedirected,
    "referral.override_requested": OverrideRequested,
    "triage.overridden": TriageOverridden,
    "referral.emergency_unanswered": EmergencyUnanswered,
    "child.merged": ChildMerged,
    "child.unmerged": ChildUnmerged,
}


# Topics some consumer reads as raw bytes (decoding itself), with the event each carries.
RAW_PAYLOADS: dict[str, Any] = {
    "frontdoor.referrals.submitted": Annotated[
        ReferralSubmitted | ReferralRedirected | OverrideRequested, Field(discriminator="event_type")
    ],
    "frontdoor.triage.decisions": TriageDecided,
    "frontdoor.service.outcomes": ServiceOutcome,
    "frontdoor.children": Annotated[ChildMerged | ChildUnmerged, Field(discriminator="event_type")],
}


def json_schemas() -> dict[Path, str]:
    from services.triage.ruleset_model import RulesetFile

    out = {JSON_DIR / f"{name}.schema.json": _dump(model.model_json_schema()) for name, model in MODELS.items()}
    out[JSON_DIR / "ruleset.schema.json"] = _dump(RulesetFile.model_json_schema(by_alias=True))
    return out


def asyncapi() -> str:
    """The AsyncAPI 3.0 document generated from the FastStream routers of every service."""
    from faststream.specification import AsyncAPI

    from services.common.broker import make_broker
    from services.common.settings import Settings
    from services.dsr.main import build_router as dsr_router
    from services.intake.main import build_router as intake_router
    from services.triage.handlers import build_router as triage_router
    from services.triage.ruleset import load_ruleset

    settings = Settings()
    # The engine is unused until a message arrives: None will do for reading the subscriptions.
    routers = (triage_router(settings, load_ruleset(settings.ruleset_path)),
               intake_router(settings, None),  # type: ignore[arg-type]
               dsr_router(settings, None))  # type: ignore[arg-type]
    broker = make_broker(settings, client_id="frontdoor", routers=routers)
    spec = AsyncAPI(broker, title="Front Door events", version="1", schema_version="3.0.0",
                    description="Topics, keys (child_id) and payloads of Front Door.")
    doc = json.loads(spec.to_specification().to_json())
    # Some consumers decode records themselves (a batch record by record, so one bad record cannot
    # fail it; the register picks the model by event type): FastStream sees raw bytes there, so the
    # payload each such topic carries is documented from its model.
    for topic, model in RAW_PAYLOADS.items():
        _document_payload(doc, topic, model)
    return _dump(doc)


def _document_payload(doc: dict[str, Any], topic: str, payload: Any) -> None:
    schema = TypeAdapter(payload).json_schema(ref_template="#/components/schemas/{model}")
    doc["components"]["schemas"].update(schema.pop("$defs", {}))
    for channel in doc["channels"].values():
        if channel["address"] != topic:
            continue
        for ref in channel["messages"].values():
            message = doc["components"]["messages"][unquote(ref["$ref"].rsplit("/", 1)[-1])]
            payload_name = unquote(message["payload"]["$ref"].rsplit("/", 1)[-1])
            if not payload_name.endswith(":Payload"):  # a publisher's own model (one topic, several events)
                continue
            doc["components"]["schemas"][payload_name] = schema


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def export_all(*, write: bool = True) -> list[str]:
    """Return the files whose content differs from the models; write them when `write`."""
    wanted = json_schemas() | {ASYNCAPI: asyncapi()}
    stale = []
    for path, text in wanted.items():
        if not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(SCHEMAS.parent)))
            if write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return stale
