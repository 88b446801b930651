"""Intake's POST /rulesets/whatif (the portal's what-if page calls it): a proposed ruleset checked as `rules check`
does (422 listing every problem where it is), then the stored referrals replayed; managers and admins only."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import Referral
from schemas.referral import LONDON
from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.common.tables import AuditEntry
from services.demo import demo_referrals
from services.intake import handlers
from services.intake.main import create_app
from services.triage.ruleset import DEFAULT_RULESET
from tests.handlers.conftest import NOW, principal

YAML = {"Content-Type": "text/yaml"}


def changed_ruleset() -> bytes:
    """Every routine SALT request due in 120 working days instead of its shipped time."""
    data = yaml.safe_load(DEFAULT_RULESET.read_text())
    data["due"]["services"]["salt"]["routine"] = {"working_days": 120}
    return yaml.safe_dump(data, sort_keys=False).encode()


def stored(engine: Engine) -> int:
    bodies = demo_referrals(NOW.date())
    with Session(engine) as s:
        for body in bodies:
            referral = Referral.model_validate(body, context={"as_of": NOW.astimezone(LONDON).date()})
            handlers.submit(s, referral, by=principal("demo", "referrer"), now=NOW)
        s.commit()
    return len(bodies)


async def post(engine: Engine, body: bytes, role: str, **params: str) -> httpx.Response:
    settings = Settings(database_url=str(engine.url))
    app = create_app(settings, engine=engine)
    token = mint_dev_token(settings, subject="tester", roles=[role])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        return await api.post("/rulesets/whatif", content=body, params=params,
                              headers=YAML | {"Authorization": f"Bearer {token}"})


async def test_a_changed_ruleset_is_replayed_over_the_stored_referrals(engine: Engine) -> None:
    count = stored(engine)
    answer = await post(engine, changed_ruleset(), "manager")
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    assert report["referrals"] == count
    assert report["changes"]["due_date_moved"] > 0  # the SALT routine requests among the demo referrals
    assert report["changed"] == report["changes"]["due_date_moved"]  # nothing else moves
    assert report["proposed"] != report["baseline"]
    same = await post(engine, DEFAULT_RULESET.read_bytes(), "admin")
    assert same.status_code == 200
    assert same.json()["changed"] == 0
    with Session(engine) as s:
        assert "report.whatif" in set(s.exec(select(AuditEntry.action)))


async def test_the_report_comes_as_csv(engine: Engine) -> None:
    stored(engine)
    answer = await post(engine, changed_ruleset(), "manager", format="csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["section", "key", "detail", "before", "after"]
    moved = next(r for r in rows if r[:2] == ["change", "due_date_moved"])
    assert int(moved[4]) > 0


async def test_an_invalid_ruleset_is_a_422_listing_every_problem_where_it_is(engine: Engine) -> None:
    data = yaml.safe_load(DEFAULT_RULESET.read_text())
    data["due"]["services"]["salt"]["routine"] = {"working_days": "soon"}
    del data["version"]
    answer = await post(engine, yaml.safe_dump(data).encode(), "manager")
    assert answer.status_code == 422
    body = answer.json()
    assert body["title"] == "The ruleset has problems"
    fields = [e["field"] for e in body["errors"]]
    assert len(fields) >= 2
    assert "version" in fields, fields
    assert "due.services.salt.routine.working_days" in fields, fields
    broken = await post(engine, b"name: [unclosed", "manager")
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "line 1, column 16"
    assert "not valid YAML" in broken.json()["errors"][0]["problem"]


@pytest.mark.parametrize("role", ["referrer", "worker:salt", "front_door"])
async def test_only_managers_and_admins_may_ask(engine: Engine, role: str) -> None:
    answer = await post(engine, changed_ruleset(), role)
    assert answer.status_code == 403
