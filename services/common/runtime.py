"""A consumer-only service as an HTTP app: its broker runs in the lifespan, with health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.common.broker import start_broker
from services.common.http import install_common
from services.common.logging import get_logger
from services.common.settings import Settings

log = get_logger("frontdoor.runtime")


def consumer_app(title: str, settings: Settings, build_broker: Callable[[], KafkaBroker]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broker = build_broker()
        await start_broker(broker, timeout=settings.startup_timeout_seconds)
        app.state.ready = True
        log.info("service ready", service=title)
        try:
            yield
        finally:
            app.state.ready = False
            await broker.stop()

    app = FastAPI(title=title, lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.ready = False
    install_common(app, ready=lambda: app.state.ready)
    return app
