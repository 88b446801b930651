"""One way to run a service: a FastAPI app whose lifespan waits for the database, starts the
service's broker (its consumers) and, where it writes events, its outbox relay; with health,
readiness and metrics. Readiness goes false before anything stops on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy import Engine

from services.common import teams
from services.common.auth import TokenVerifier
from services.common.broker import broker_source, start_broker
from services.common.db import wait_for_database
from services.common.http import api_docs_options, install_common
from services.common.logging import get_logger
from services.common.outbox import OutboxRelay, relay_headers
from services.common.settings import Settings
from services.common.tables import OutboxMessage, utcnow
from services.common.transient import TRANSIENT_ERRORS

log = get_logger("frontdoor.runtime")


def service_app(
    title: str,
    settings: Settings,
    build_broker: Callable[[], KafkaBroker | list[KafkaBroker]],
    *,
    engine: Engine | None = None,
    relay: bool = False,
    background: Callable[[], list[Callable[[], Awaitable[None]]]] | None = None,
    **fastapi_options: Any,
) -> FastAPI:
    """`engine` given: wait for the database at start. `relay`: publish this service's outbox.
    Several brokers (one consumer group each) start together, so their group joins overlap.
    `background` gives loops to run while the service is up (cancelled at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if engine is not None:
            await asyncio.to_thread(wait_for_database, engine, timeout=settings.startup_timeout_seconds)
        built = build_broker()
        brokers = built if isinstance(built, list) else [built]
        broker = app.state.broker = brokers[0]  # background loops publish with it too (the audit witness)
        tasks: list[asyncio.Task[None]] = []
        if relay and engine is not None:
            source = broker_source(broker)  # /frontdoor/<service>, the CloudEvents ce_source of what it publishes

            async def publish(row: OutboxMessage) -> None:
                await broker.publish(row.payload.encode(), row.topic, key=row.key.encode(),
                                     headers=relay_headers(row, source=source))

            app.state.relay = OutboxRelay(engine, publish, poll_seconds=settings.outbox_poll_seconds)
        await asyncio.gather(*(start_broker(b, timeout=settings.startup_timeout_seconds) for b in brokers))
        if relay and engine is not None:
            tasks.append(asyncio.create_task(app.state.relay.run(), name="outbox-relay"))
        loops = [asyncio.create_task(loop(), name="background") for loop in (background() if background else [])]
        app.state.ready = True
        log.info("service ready", service=title)
        try:
            yield
        finally:
            app.state.ready = False
            for loop_task in loops:
                loop_task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if tasks:
                await app.state.relay.stop()
                await asyncio.gather(*tasks)
            await asyncio.gather(*(b.stop() for b in brokers))
            if engine is not None:  # the pool's connections closed, not left for the process's exit (or a
                engine.dispose()    # test's next stack) to drop: PostgreSQL counts them against max_connections

    app = FastAPI(title=title, lifespan=lifespan, **(api_docs_options(settings) | fastapi_options))
    app.state.ready = False
    app.state.relay = None
    app.state.engine = engine
    app.state.verifier = TokenVerifier(settings)
    # every person a request authenticates, noted in the service's people (their name for who saw this child)
    app.state.signed_in = (lambda principal: teams.signed_in(engine, principal, utcnow())) if engine else None
    install_common(app, ready=lambda: app.state.ready, settings=settings)
    return app


def every(seconds: float, job: Callable[[], int], *, what: str, then: Callable[[int], None],
          unless: Callable[[], Awaitable[str | None]] | None = None) -> Callable[[], Awaitable[None]]:
    """A background loop for `service_app`: every `seconds`, run the blocking `job` in a thread and
    pass what it returns (a count) to `then`. `unless` may defer a round (it returns why); a
    database or broker outage skips a round, with a warning."""
    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                if unless is not None and (why := await unless()):
                    log.info(f"{what} deferred: {why}")
                    continue
                then(await asyncio.to_thread(job))
            except TRANSIENT_ERRORS as exc:
                log.warning(f"{what} skipped: a dependency is unavailable", error_type=type(exc).__name__)

    return loop


def wake_relay(app: FastAPI) -> None:
    """Publish what a request just committed without waiting for the next poll."""
    if app.state.relay is not None:
        app.state.relay.wake()


class DrainingServer(uvicorn.Server):
    """Uvicorn with a graceful stop in the order an orchestrator needs: on the first SIGTERM (or
    Ctrl-C) readiness goes false at once while the service keeps serving and consuming for
    `drain_seconds`, so traffic moves elsewhere; then the usual shutdown: stop accepting, let
    requests finish, and the lifespan stops the consumers, which finish their in-flight messages
    (within GRACEFUL_TIMEOUT_SECONDS) and commit their offsets. A second signal stops at once."""

    def __init__(self, config: uvicorn.Config, *, drain_seconds: float):
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    async def serve(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._mark_unready()
        if self._draining:  # a second signal: stop now
            self.force_exit = True
            super().handle_exit(sig, frame)
        elif self._loop is None or not self.drain_seconds:
            super().handle_exit(sig, frame)
        else:
            self._draining = True
            log.info("stopping: readiness false, draining before shutdown", seconds=self.drain_seconds)
            self._loop.call_soon_threadsafe(self._loop.call_later, self.drain_seconds, super().handle_exit, sig, frame)

    def _mark_unready(self) -> None:
        app = self.config.app
        if isinstance(app, FastAPI):
            app.state.ready = False
