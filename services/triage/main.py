"""The triage service put together: the ruleset (loaded once; a bad one stops start-up with every
problem listed), the batch consumer around the engine, and health and metrics. No API, no database."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.common.broker import make_broker
from services.common.runtime import service_app
from services.common.settings import Settings
from services.policy.ruleset import Ruleset
from services.policy.ruleset.in_force import ruleset_in_force
from services.triage.handlers import build_router


def build_broker(settings: Settings, ruleset: Ruleset) -> KafkaBroker:
    return make_broker(settings, client_id="frontdoor-triage", routers=(build_router(settings, ruleset),))


def create_app(settings: Settings) -> FastAPI:
    """RULESET_PATH unset: the shipped reference ruleset."""
    ruleset = ruleset_in_force(settings.ruleset_path)
    return service_app(
        "Front Door triage", settings, lambda: build_broker(settings, ruleset),
        openapi_url=None, docs_url=None, redoc_url=None,
    )
