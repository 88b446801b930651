"""The running system for end-to-end tests: triage and intake (API, outbox relay, decisions
consumer) in this process, against the embedded broker and the test database."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.common.auth import mint_dev_token
from services.common.broker import start_broker
from services.common.settings import Settings
from services.intake.main import create_app as create_intake
from services.policy.ruleset import load_ruleset
from services.triage.main import build_broker as build_triage
from services.worklists.main import create_app as create_worklists


class Stack:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.ruleset = load_ruleset(settings.ruleset_path)
        self.triage: KafkaBroker | None = None
        self.intake: FastAPI | None = None
        self._lifespan: AbstractAsyncContextManager[Any] | None = None
        self.client: httpx.AsyncClient | None = None
        self._worklists_lifespan: AbstractAsyncContextManager[Any] | None = None

    async def start(self, *, worklists: bool = False) -> None:
        await asyncio.gather(self.start_triage(), self.start_intake(), *([self.start_worklists()] if worklists else []))

    async def start_worklists(self) -> None:
        self.worklists = create_worklists(self.settings)
        self._worklists_lifespan = self.worklists.router.lifespan_context(self.worklists)
        await self._worklists_lifespan.__aenter__()
        self.workers = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.worklists), base_url="http://worklists",
                                         timeout=30)

    async def start_triage(self) -> None:
        self.triage = build_triage(self.settings, self.ruleset)
        await start_broker(self.triage, timeout=30)

    async def stop_triage(self) -> None:
        if self.triage is not None:
            await self.triage.stop()
            self.triage = None

    async def start_intake(self) -> None:
        self.intake = create_intake(self.settings)
        self._lifespan = self.intake.router.lifespan_context(self.intake)
        await self._lifespan.__aenter__()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.intake), base_url="http://intake",
                                        timeout=30)

    async def stop(self) -> None:
        await self.stop_triage()
        if self.client is not None:
            await self.client.aclose()
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)
        if self._worklists_lifespan is not None:
            await self.workers.aclose()
            await self._worklists_lifespan.__aexit__(None, None, None)

    def headers(self, subject: str = "e2e-referrer", role: str = "referrer") -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_dev_token(self.settings, subject=subject, roles=[role])}"}

    async def submit(self, body: dict[str, Any], subject: str = "e2e-referrer") -> httpx.Response:
        assert self.client is not None
        return await self.client.post("/referrals", json=body, headers=self.headers(subject))

    async def view(self, referral_id: str, subject: str = "e2e-referrer") -> dict[str, Any]:
        assert self.client is not None
        response = await self.client.get(f"/referrals/{referral_id}", headers=self.headers(subject))
        assert response.status_code == 200
        return dict(response.json())

    async def referral_ids(self, subject: str = "e2e-referrer") -> set[str]:
        assert self.client is not None
        response = await self.client.get("/referrals", headers=self.headers(subject))
        return {r["referral_id"] for r in response.json()}
