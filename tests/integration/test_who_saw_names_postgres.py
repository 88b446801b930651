"""Who saw this child names people on PostgreSQL (issue 23, item 8): a person noted as a service authenticated them
(`teams.signed_in`, at most once an hour, by the table when another replica's memory has not seen them) and a name
kept only with what a person did are both answered by `teams.names`, the latest winning; a login id no table names
is left out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common import teams
from services.common.auth import Principal
from services.common.db import make_engine
from services.common.tables import TeamMember, WorkAssignment
from tests.databases import NEEDS_POSTGRES, postgres_schema

pytestmark = [pytest.mark.integration, NEEDS_POSTGRES]
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def database() -> Iterator[tuple[str, Engine]]:
    with postgres_schema("frontdoor_names") as database:
        yield database


def test_people_are_named_from_their_sign_ins_and_what_they_did(database: tuple[str, Engine]) -> None:
    url, engine = database
    casey = Principal("oidc|7f3a", frozenset({"front_door"}), name="Casey Nguyen")
    teams.signed_in(engine, casey, NOW)
    replica = make_engine(url)
    try:
        teams.signed_in(replica, casey, NOW + timedelta(minutes=30))  # seen lately, by the table: nothing written
    finally:
        replica.dispose()
    with Session(engine) as s:
        assert [(m.team, m.name, m.last_seen) for m in s.exec(select(TeamMember)).all()] == [
            ("front_door", "Casey Nguyen", NOW)]
        s.add(WorkAssignment(id=uuid.uuid4(), item_id=uuid.uuid4(), team="front_door", change="given",
                             assigned_to="oidc|7f3a", assigned_to_name="Casey N.", by="oidc|99c0",
                             by_name="Sam Okafor", at=NOW - timedelta(days=1)))
        s.commit()
        assert teams.names(s, ["oidc|7f3a", "oidc|99c0", "oidc|0000", ""]) == {
            "oidc|7f3a": "Casey Nguyen", "oidc|99c0": "Sam Okafor"}  # her sign-in is later than the assignment
