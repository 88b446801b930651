"""Composition root of the triage service."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.common.broker import make_broker
from services.common.runtime import service_app
from services.common.settings import Settings
from services.triage.consumer import build_router
from services.triage.ruleset import Ruleset, load_ruleset


def build_broker(settings: Settings, ruleset: Ruleset) -> KafkaBroker:
    broker = make_broker(settings, client_id="frontdoor-triage")
    broker.include_router(build_router(settings, ruleset))
    return broker


def create_app(settings: Settings) -> FastAPI:
    ruleset = load_ruleset(settings.ruleset_path)  # a bad ruleset stops start-up here, with every problem listed
    return service_app("Front Door triage", settings, lambda: build_broker(settings, ruleset), openapi_url=None, docs_url=None, redoc_url=None)
