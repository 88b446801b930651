"""Schemathesis against intake, the register (dsr) and the worklists, in-process (issue 13, "The HTTP contract"):
requests generated from each app's own OpenAPI document, valid and invalid, a few per operation (deterministic),
with every default check (no 5xx, only documented statuses, content types and headers, bodies matching their
schemas, invalid input refused, valid input accepted, OPTIONS and unsupported methods answered with a correct
Allow, authentication not ignored). The apps run on this module's migrated database (PostgreSQL under
TEST_DATABASE_URL) with a few records in it; no broker: what reads or replays dead letters gets a stand-in.

A failure is excused only where it is named below (or in the wire's list of what JSON Schema cannot state,
tests/unit/test_contract_properties.py), with the reason."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import CheckFunction
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlmodel import Session

from schemas import ServiceRequestCreated
from services.common import dlq_tools
from services.common.auth import mint_dev_token
from services.common.db import make_engine
from services.common.settings import Settings
from services.dsr import handlers as dsr_handlers
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.intake.referrals import handlers as intake_handlers
from services.worklists import handlers as worklists_handlers
from services.worklists.main import create_app as worklists_app
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import BY, decided, route, submit
from tests.unit.test_contract_properties import disagreement

pytestmark = pytest.mark.integration

# Bounded: a few generated requests per operation and phase, the same ones every run (a fixed seed). Hypothesis's
# health checks on generation (a body schema whose patterns filter many candidates, a slow machine) say nothing
# about the contract: off.
CONFIG = {"seed": 13, "suppress-health-check": ["filter_too_much", "too_slow"],
          "generation": {"max-examples": 5, "deterministic": True, "database": "none"}}
WORKERS = ["worker:safeguarding", "worker:semh", "worker:counselling", "worker:salt", "worker:early_help"]
ROLES = {"intake": ["referrer", "front_door", "admin", "manager"], "dsr": ["dsr_panel"], "worklists": WORKERS}
BUILD: dict[str, Callable[..., FastAPI]] = {"intake": intake_app, "dsr": dsr_app, "worklists": worklists_app}

# Valid requests (by the OpenAPI document) that the API may still refuse with 422, because the rule is one JSON
# Schema cannot state: the named list the wire's property tests keep (check digits, a date of birth against the
# day, a name's Unicode categories, what each kind of a person's change needs, ...), and what only the API checks:
# (operation, field pattern, problem pattern, why). Every other 422 to valid data fails.
HTTP_ONLY = [
    ("POST /front-door/referrals/{referral_id}/emergency-contact", r"contacted_at", r"future",
     "a contact time in the future: a comparison with the clock"),
    *((adding, field, problem, why) for adding in ("POST /dsr/entries", "POST /dsr/additions/check")  # one model
      for field, problem, why in [
          (r"date_of_birth", r"future|at most 120", "a date of birth compared with today's date"),
          (r"nhs_number", r"required for a person aged",
           "a rule across fields and the clock: a person 18 or over (by date of birth, today) needs an NHS number"),
          (r"consent_given_by", r"is required when consent",
           "a rule across fields: consent given or a best-interests decision says by whom")]),
    ("POST /worklists/safeguarding/referrals/{referral_id}/held", r"reason", r"Enter why you are declining",
     "a rule across fields: MASH declining held requests says why; a release may say nothing"),
    ("POST /rulesets/whatif", r".+", r".+",
     "a ruleset file is a text/yaml body: whether it is a valid ruleset (its schema, then the compiler's checks that "
     "`rules check` runs, each problem located in the file) is the endpoint's answer, not a shape a string can have"),
]


# Invalid requests (by the document) that the API may answer 200: a bulk import's body is text/csv, so whatever
# Schemathesis means to send in its place (an object, a number) reaches intake as text: a CSV file whose header
# lacks the columns, answered as every file with problems is, 200 with `refused: true` and the problems listed.
REFUSED_IMPORT = "POST /imports"


def excused(case: schemathesis.Case, response: Any) -> list[CheckFunction]:
    """The checks this response is excused from (explained, REFUSED_IMPORT); none for any other."""
    if explained(case, response):
        return [positive_data_acceptance]
    if case.operation.label == REFUSED_IMPORT and response.status_code == 200 and response.json()["refused"]:
        return [negative_data_rejection]
    return []


# By design (README, "Contracts: strict on the wire, tolerant where a person types"): intake's document describes the
# canonical referral a system should send — the same form that goes on the wire — and its description says intake
# also takes a referral as a person types it (white space trimmed, a postcode in any case and spacing, a number or a
# yes/no as text: ReferralInput). So Schemathesis's "invalid" variants of exactly those kinds are accepted, and
# tidied. The same for an advice request (schemas/advice.py: AdviceInput, tolerant input too). Excused only for those
# operations, only where the invalid part is a string's pattern or length or a value's type; anything else accepted
# that the document refuses still fails.
TOLERANT = ({"POST /referrals", "POST /advice", "POST /advice/check"}, re.compile(
    r"Invalid component: in body - .+: (Value not matching .* pattern|Incorrect type"
    r"|String (larger|smaller) than (max|min)Length)"))


def tolerated(case: schemathesis.Case, failure: Exception) -> bool:
    label, component = TOLERANT
    return (case.operation.label in label and isinstance(failure, AcceptedNegativeData)
            and component.search(str(getattr(failure, "message", ""))) is not None)


def explained(case: schemathesis.Case, response: Any) -> str | None:
    """Why this 422 to schema-valid data is expected, or None when it is not explained."""
    if response.status_code != 422:
        return None
    errors = response.json().get("errors") or [{"field": "", "problem": ""}]
    reasons = []
    for error in errors:
        named = disagreement(error["field"], error["problem"])
        why = named.name if named else next(
            (why for label, field, problem, why in HTTP_ONLY if label == case.operation.label
             and re.fullmatch(field, error["field"]) and re.search(problem, error["problem"])), None)
        if why is None:
            return None
        reasons.append(why)
    return "; ".join(reasons)


class Target:
    """The ASGI app Schemathesis calls: the module's app once its fixture has built it, without the app's
    lifespan (which would start its broker)."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.app is not None, "the app fixture builds it"
        await self.app(scope, receive, send)


def loaded(name: str) -> tuple[Any, Target]:
    """The app's OpenAPI document as Schemathesis reads it (built without a database: nothing is read yet), with a
    bearer token for the app's roles (Schemathesis sends it, and leaves it out to check it is required)."""
    target = Target()
    settings = Settings(database_url="sqlite://")
    token = mint_dev_token(settings, subject=BY.subject, roles=ROLES[name])
    config = CONFIG | {"auth": {"openapi": {"HTTPBearer": {"bearer": token}}}}
    document = BUILD[name](settings).openapi()
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(config))
    schema.app = target
    return schema, target


INTAKE, INTAKE_APP = loaded("intake")
DSR, DSR_APP = loaded("dsr")
WORKLISTS, WORKLISTS_APP = loaded("worklists")
TARGETS = {"intake": INTAKE_APP, "dsr": DSR_APP, "worklists": WORKLISTS_APP}


def seed(session: Session) -> None:
    """A referral (by BY) decided with a routine route and one held for MASH and naming a DSR candidate: the
    referral, both worklists' requests and a register entry."""
    record = submit(session)
    decision = decided(record, route("salt"), route("safeguarding", held=True))
    intake_handlers.apply_decision(session, decision, NOW)
    dsr_handlers.apply_decision(session, decision, NOW)
    for routed in decision.routes:
        worklists_handlers.receive(session, ServiceRequestCreated(
            event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=routed.service_request_id,
            referral_id=record.id, child_id=record.child_id, service=routed.service, pathway=routed.pathway,
            priority=routed.priority, due_by=routed.due_by, held=routed.held,
            reasons=[{"rule_id": "route.test", "because": "a test"}],
            details={"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-05-01"}), NOW)
    session.commit()


@pytest.fixture(scope="module")
def apps(fresh_database_url: str) -> Iterator[None]:
    """Each app on the module's database (the settings' dev-token secret is the one the tokens were made with)."""
    engine = make_engine(fresh_database_url)
    with Session(engine, expire_on_commit=False) as session:
        seed(session)
    settings = Settings(database_url=fresh_database_url, failed_auth_rate_limit="100000/minute")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dlq_tools, "list_dead_letters", no_dead_letters)
        patch.setattr(dlq_tools, "replay", replayed_none)
        for name, target in TARGETS.items():
            target.app = BUILD[name](settings, engine=engine)
        yield
    engine.dispose()


async def no_dead_letters(bootstrap: str, topic: str) -> list[Any]:
    return []


async def replayed_none(bootstrap: str, topic: str, ids: set[str]) -> int:
    return 0


def call_and_validate(case: schemathesis.Case) -> None:
    """Schemathesis's call_and_validate, less the checks the response is excused from."""
    response = case.call()
    try:
        case.validate_response(response, excluded_checks=excused(case, response))
    except FailureGroup as found:
        if not all(tolerated(case, failure) for failure in found.exceptions):
            raise


@INTAKE.parametrize()
def test_intake(case: schemathesis.Case, apps: None) -> None:
    call_and_validate(case)


@DSR.parametrize()
def test_register(case: schemathesis.Case, apps: None) -> None:
    call_and_validate(case)


@WORKLISTS.parametrize()
def test_worklists(case: schemathesis.Case, apps: None) -> None:
    call_and_validate(case)
