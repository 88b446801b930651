"""Issue 22, items 11 and 12, on intake's API: the disagreement report names each rule in words (its reason in the
ruleset in force) beside its id, and the front door may read it, as it counts the front door's own decisions; the
ruleset in force can be downloaded as its file, named with its version, as the starting point of a what-if."""

from __future__ import annotations

import csv
import io
from datetime import date

import httpx
import pytest
from sqlalchemy import Engine

from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.intake.main import create_app
from services.intake.referrals import bulk
from services.intake.referrals.routes import SAMPLE_ROWS
from services.policy.ruleset import DEFAULT_RULESET
from services.policy.ruleset.explain import rule_names
from services.policy.ruleset.in_force import ruleset_in_force
from tests.integration.test_reports_api import seed


async def get(engine: Engine, path: str, role: str, **params: str) -> httpx.Response:
    settings = Settings(database_url=str(engine.url), small_number_threshold=1)
    token = mint_dev_token(settings, subject="tester", roles=[role])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, engine=engine)),
                                 base_url="http://intake") as api:
        return await api.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("role", ["manager", "admin", "front_door"])
async def test_the_disagreement_report_names_each_rule_for_managers_and_the_front_door(engine: Engine,
                                                                                       role: str) -> None:
    seed(str(engine.url))
    answer = await get(engine, "/reports/disagreement", role)
    assert answer.status_code == 200, answer.text
    rows = {r["rule_id"]: r for r in answer.json()}
    assert rows["salt.community"]["rule"] == ("Speech, language or communication needs go to community speech and "
                                              "language therapy.")
    assert rows["salt.community"]["closed"] == 1
    as_csv = list(csv.DictReader(io.StringIO((await get(engine, "/reports/disagreement", role, format="csv")).text)))
    assert {r["rule_id"]: r["rule"] for r in as_csv}["semh.specialist"].startswith("Emotional or mental health needs")


@pytest.mark.parametrize("role", ["referrer", "worker:salt", "dsr_panel"])
async def test_only_managers_admins_and_the_front_door_read_the_disagreement_report(engine: Engine,
                                                                                    role: str) -> None:
    assert (await get(engine, "/reports/disagreement", role)).status_code == 403


async def test_the_front_door_reads_no_other_report(engine: Engine) -> None:
    assert (await get(engine, "/reports/breaches", "front_door")).status_code == 403
    assert (await get(engine, "/reports/overview", "front_door")).status_code == 403


@pytest.mark.parametrize("role", ["manager", "admin", "front_door"])
async def test_the_ruleset_in_force_comes_as_its_file_named_with_its_version(engine: Engine, role: str) -> None:
    answer = await get(engine, "/rulesets/in-force", role)
    assert answer.status_code == 200, answer.text
    version = ruleset_in_force(DEFAULT_RULESET).version
    assert answer.json() == {"name": "frontdoor-reference", "version": version,
                             "file_name": f"frontdoor-reference-{version}.yaml",
                             "content": DEFAULT_RULESET.read_text(encoding="utf-8")}


@pytest.mark.parametrize("role", ["referrer", "worker:salt", "dsr_referrer"])
async def test_the_ruleset_file_is_not_for_other_roles(engine: Engine, role: str) -> None:
    assert (await get(engine, "/rulesets/in-force", role)).status_code == 403


def test_every_rule_of_the_ruleset_in_force_has_a_name_in_words() -> None:
    ruleset = ruleset_in_force(DEFAULT_RULESET)
    names = rule_names(ruleset)
    src = ruleset.source
    ids = {r.id for stage in src.stages for r in stage.rules} | {src.fall_through.id, src.dsr.candidate.id}
    assert ids <= set(names)
    assert not [n for n in names.values() if "{" in n], names  # each placeholder in words


async def test_intake_offers_administrators_a_sample_import_file_that_it_would_import(engine: Engine) -> None:
    """Issue 22, item 12: the import page's sample comes from intake (the portal imports no other service), in the
    layout `POST /imports` reads, every row valid; only an administrator imports, so only one is offered it."""
    answer = await get(engine, "/imports/sample", "admin")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="front-door-import-sample.csv"'
    checked = bulk.check(answer.text, today=date.today())
    assert len(checked.valid) == SAMPLE_ROWS and not checked.problems
    for role in ("manager", "front_door", "referrer"):
        assert (await get(engine, "/imports/sample", role)).status_code == 403
