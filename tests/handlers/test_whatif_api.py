"""Intake's POST /rulesets/whatif (the portal's what-if page calls it): a proposed ruleset checked as `rules check`
does (422 listing every problem where it is), then the stored referrals replayed; managers and admins only."""

from __future__ import annotations

import csv
import io
import re
from functools import cache
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
from services.intake.main import create_app
from services.intake.referrals import handlers
from services.policy.ruleset import DEFAULT_RULESET
from tests.cases import reference_ruleset
from tests.handlers.codes_shown import ISO_DATE, RULE_ID, SNAKE
from tests.handlers.conftest import NOW, principal

YAML = {"Content-Type": "text/yaml"}


@cache
def changed_ruleset() -> bytes:
    """Every routine SALT request due in 120 working days instead of its shipped time (bytes: the same for every
    test, made once)."""
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": 120}
    return yaml.safe_dump(data, sort_keys=False).encode()


@cache
def probe_ruleset() -> bytes:
    """A first rule routing every referral about anxiety to counselling as an emergency ("A probe.")."""
    data = reference_ruleset()
    stage = next(s for s in data["stages"] if s.get("rules"))
    stage["rules"].insert(0, {"id": "probe.one", "when": {"contains": {"fact": "concerns", "value": "anxiety"}},
                              "then": [{"route": {"service": "counselling", "pathway": "school_counselling",
                                                  "priority": "emergency"}}], "because": "A probe."})
    return yaml.safe_dump(data).encode()


def stored(engine: Engine) -> int:
    bodies = demo_referrals(NOW.date())
    with Session(engine) as s:
        for body in bodies:
            referral = Referral.model_validate(body, context={"as_of": NOW.astimezone(LONDON).date()})
            handlers.submit(s, referral, by=principal("demo", "referrer"), now=NOW)
        s.commit()
    return len(bodies)


async def post(engine: Engine, body: bytes, role: str, *, threshold: int = 5, **params: str) -> httpx.Response:
    """threshold 1: no count suppressed (the replay's own tests; suppression has tests of its own)."""
    settings = Settings(database_url=str(engine.url), small_number_threshold=threshold)
    app = create_app(settings, engine=engine)
    token = mint_dev_token(settings, subject="tester", roles=[role])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        return await api.post("/rulesets/whatif", content=body, params=params,
                              headers=YAML | {"Authorization": f"Bearer {token}"})


async def test_a_changed_ruleset_is_replayed_over_the_stored_referrals(engine: Engine) -> None:
    count = stored(engine)
    answer = await post(engine, changed_ruleset(), "manager", threshold=1)
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


async def test_the_report_comes_as_csv_in_words_for_a_spreadsheet(engine: Engine) -> None:
    """Issue 22, item 11: the CSV is for managers opening it in Excel: headings, kinds of change, services and
    priorities in words and the period's days as "4 March 2026", never a code or an ISO date; a rule by its name,
    its id beside it."""
    stored(engine)
    answer = await post(engine, changed_ruleset(), "manager", threshold=1, format="csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["Section", "What", "Detail", "Before: the rules in force", "After: the proposed rules"]
    moved = next(r for r in rows if r[:2] == ["Decisions that change", "Due date moved"])
    assert int(moved[4]) > 0
    period = next(r for r in rows if r[1].startswith("Referrals submitted"))
    assert re.fullmatch(r"Referrals submitted from \d{1,2} [A-Z][a-z]+ 20\d\d to \d{1,2} [A-Z][a-z]+ 20\d\d",
                        period[1]), period
    assert ["Service requests", "Speech and language therapy", "Routine priority"] in [r[:3] for r in rows]
    words = [cell for r in rows if r[0] != "Rules that fire more or less often" for cell in r[:3]]
    assert not [c for c in words if ISO_DATE.search(c) or SNAKE.search(c) or RULE_ID.search(c)], rows
    probed = list(csv.reader(io.StringIO((await post(engine, probe_ruleset(), "manager", threshold=1,
                                                     format="csv")).text)))
    assert ["Rules that fire more or less often", "A probe.", "probe.one"] in [r[:3] for r in probed]


async def test_each_rule_that_fires_more_or_less_often_is_named_in_words(engine: Engine) -> None:
    stored(engine)
    report = (await post(engine, probe_ruleset(), "manager", threshold=1)).json()
    named = {r["rule_id"]: r["rule"] for r in report["rules"]}
    assert named["probe.one"] == "A probe."  # a rule only the proposal has: named from the proposal
    assert named["semh.mhst"] == "Early-level needs, and the child's school has a Mental Health Support Team."


async def test_an_invalid_ruleset_is_a_422_listing_every_problem_where_it_is(engine: Engine) -> None:
    data = reference_ruleset()
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


# --- issue 20 items 6 and 7 ------------------------------------------------------------------------------------

def counts_in(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [n for k, v in value.items() if k not in ("period", "per_week", "small_number_threshold")
                for n in counts_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in counts_in(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


async def test_a_manager_gets_suppressed_counts_and_no_referral_ids(engine: Engine) -> None:
    """A proposal routing one kind of referral to counselling as an emergency probes how many there are and which:
    the answer (JSON and CSV) shows no count from 1 to 4 and no referral id."""
    stored(engine)
    probe = probe_ruleset()
    answer = await post(engine, probe, "manager")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert "examples" not in report, report.get("examples")
    assert not [n for n in counts_in(report) if 0 < n < 5], report
    assert report["small_number_threshold"] == 5
    as_csv = await post(engine, probe, "admin", format="csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    details = ("", "All", "Per week", "Past their due date", "Routine priority", "Soon priority", "Urgent priority",
               "Emergency priority", "probe.one")
    assert all(r[2] in details or RULE_ID.fullmatch(r[2]) or r[1].startswith("Referrals submitted")
               for r in rows[1:]), rows  # no example ids
    assert not [c for r in rows[1:] for c in r[3:] if c.isdigit() and 0 < int(c) < 5], rows


def bomb() -> bytes:
    from tests.unit.test_ruleset_limits import bomb as made

    return made().encode()


async def test_a_ruleset_that_expands_is_refused_fast_where_it_expands(engine: Engine) -> None:
    import time

    from tests.unit.test_ruleset_limits import line_of, nested_nots

    started = time.perf_counter()
    answer = await post(engine, bomb(), "manager")
    assert answer.status_code == 422, answer.text[:300]
    assert time.perf_counter() - started < 5  # was minutes
    [error] = answer.json()["errors"]
    assert error["field"].startswith(f"line {line_of(bomb().decode(), '  a4:')}, column ")
    assert "more than 20000 nodes" in error["problem"]
    deep = await post(engine, nested_nots().encode(), "manager")  # was a 500 (RecursionError)
    assert deep.status_code == 422
    assert "nested more than 50 levels" in deep.json()["errors"][0]["problem"]


async def test_a_slow_what_if_is_stopped_at_its_time_limit_and_intake_answers_meanwhile(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import time

    from services.policy import whatif

    stored(engine)
    real = whatif.decide

    def slow(event: Any, ruleset: Any) -> Any:
        time.sleep(0.1)
        return real(event, ruleset)

    monkeypatch.setattr(whatif, "decide", slow)
    settings = Settings(database_url=str(engine.url), whatif_time_limit_seconds=1.0)
    app = create_app(settings, engine=engine)
    token = mint_dev_token(settings, subject="tester", roles=["manager"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        started = time.perf_counter()
        running = asyncio.create_task(api.post("/rulesets/whatif", content=changed_ruleset(),
                                               headers=YAML | {"Authorization": f"Bearer {token}"}))
        await asyncio.sleep(0.6)  # the replay is under way
        assert not running.done()
        beside = time.perf_counter()
        live = await api.get("/health/live")
        assert live.status_code == 200 and time.perf_counter() - beside < 0.5
        answer = await running
    assert answer.status_code == 503, answer.text[:300]
    assert answer.json()["title"] == "The what-if took too long"
    assert "longer than 1 seconds" in answer.json()["detail"]
    assert time.perf_counter() - started < 3
