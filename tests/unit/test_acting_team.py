"""schemas.lifecycle: whose team acted on a service request (the records name the person and that team; a referrer
reads the team only). The front door withdraws a request; its service does everything else, MASH's release too."""

from __future__ import annotations

import pytest

from schemas.enums import OutcomeEventType
from schemas.lifecycle import FRONT_DOOR_TEAM, RequestStatus, acting_team, outcome_team


@pytest.mark.parametrize(("status", "team"), [
    (RequestStatus.withdrawn, FRONT_DOOR_TEAM), (RequestStatus.accepted, "salt"), (RequestStatus.declined, "salt"),
    (RequestStatus.redirected, "salt"), (RequestStatus.completed, "salt"), ("withdrawn", FRONT_DOOR_TEAM),
])
def test_the_front_door_withdraws_and_the_service_does_the_rest(status: str, team: str) -> None:
    assert acting_team(status, "salt") == team


@pytest.mark.parametrize("event_type", list(OutcomeEventType))
def test_an_outcome_event_is_the_act_of_the_team_its_status_says(event_type: OutcomeEventType) -> None:
    expected = FRONT_DOOR_TEAM if event_type is OutcomeEventType.withdrawn else "safeguarding"
    assert outcome_team(event_type, "safeguarding") == expected


def test_the_front_door_team_is_the_role_s_name() -> None:
    assert FRONT_DOOR_TEAM == "front_door"  # Principal.team and the stored by_team rows use it
