"""The issue's own cases over HTTP (issue 24, items 3 and 4), in-process on migrated SQLite: an advice answer of
10 spaces and 4,000 characters, a held request's decline reason of 1 space and 2,000 characters, and a review held
on `0`, are each refused with a 422 naming the field (tests/unit/test_edge_values.py walks every model)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.worklists.main import create_app as worklists_app

ID = str(uuid.uuid4())
REVIEW = {"rating": "amber", "rationale": "The panel agreed the plan.",
          "attendees": [{"name": "Chair", "agency": "ICB"}]}
CASES = [
    (intake_app, "front_door", f"/advice/{ID}/answer", {"answer": " " * 10 + "x" * 4000}, "answer", "string_too_long"),
    (worklists_app, "worker:safeguarding", f"/worklists/safeguarding/referrals/{ID}/held",
     {"decision": "decline", "reason": " " + "x" * 2000}, "reason", "string_too_long"),
    (worklists_app, "worker:salt", f"/worklists/salt/requests/{ID}/decline",
     {"reason": "No capacity this term", "signpost": " " + "x" * 500}, "signpost", "string_too_long"),
    (dsr_app, "dsr_panel", f"/dsr/entries/{ID}/reviews", REVIEW | {"held_on": 0}, "held_on", "date_type"),
    (dsr_app, "dsr_panel", f"/dsr/entries/{ID}/reviews", REVIEW | {"held_on": "0"}, "held_on", "date_parsing"),
]


@pytest.mark.parametrize(("create", "role", "path", "body", "field", "type_"), CASES,
                         ids=[f"{c[2].split('/')[-1]}.{c[4]}={str(c[3][c[4]])[:12]!r}" for c in CASES])
async def test_the_issues_cases_are_refused_naming_the_field(
        engine: Engine, create: Callable[..., FastAPI], role: str, path: str, body: dict[str, Any], field: str,
        type_: str) -> None:
    settings = Settings(database_url=str(engine.url))
    token = mint_dev_token(settings, subject="someone", roles=[role])
    transport = httpx.ASGITransport(app=create(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        answer = await client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422, answer.text
    assert [(p["field"], p["type"]) for p in answer.json()["errors"]] == [(field, type_)]
