"""`frontdoor rules whatif` on PostgreSQL: the same counts as an independent replay, in a read-only transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from services.intake.whatif.store import from_database
from services.policy.ruleset import DEFAULT_RULESET, load_ruleset
from tests.databases import NEEDS_POSTGRES, postgres_schema
from tests.handlers.test_whatif_cli import expected, proposed, run, store, stored_events

pytestmark = [pytest.mark.integration, NEEDS_POSTGRES]


@pytest.fixture
def engine() -> Iterator[Engine]:
    with postgres_schema("frontdoor_whatif") as (_, engine):
        yield engine


def test_whatif_on_postgresql_matches_an_independent_replay(engine: Engine, tmp_path: Path) -> None:
    stored = store(engine)
    done = run(engine, str(proposed(tmp_path)), "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    want = expected(stored_events(engine), load_ruleset(DEFAULT_RULESET), load_ruleset(proposed(tmp_path)))
    assert (report["referrals"], report["changed"]) == (stored, want["changed"])
    assert report["changes"] == {c: want["classes"][c] for c in report["changes"]}


def test_the_reading_transaction_is_read_only(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write slipped into the reading session is refused by the database itself."""
    from sqlmodel import Session

    real = Session.execute

    def execute_then_write(self: Session, statement: object, *args: object, **kwargs: object) -> object:
        result = real(self, statement, *args, **kwargs)  # type: ignore[arg-type]
        if "READ ONLY" in str(statement):
            real(self, text("CREATE TABLE whatif_probe (x int)"))
        return result

    monkeypatch.setattr(Session, "execute", execute_then_write)
    with pytest.raises(DBAPIError, match="read-only transaction"):
        from_database(engine)
