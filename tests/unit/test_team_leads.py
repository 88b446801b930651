"""The team leads' roles (issue 23, item 8): a front-door manager is a front-door practitioner who may also read
the audit trail; the DSR chair is a member of the DSR meeting who may also read it. Each role carries the role it
leads, so every guard that admits the front door or the panel admits them too, and the audit records the role they
signed in as."""

from __future__ import annotations

import pytest

from services.common.auth import AUDIT_READERS, Principal, principal_of, valid_role
from services.portal.users import USERS


@pytest.mark.parametrize(("role", "carries"), [
    ("front_door_manager", {"front_door_manager", "front_door"}),
    ("dsr_chair", {"dsr_chair", "dsr_panel"}),
    ("front_door", {"front_door"}),
    ("dsr_panel", {"dsr_panel"}),
    ("worker:salt", {"worker:salt"}),
])
def test_a_lead_carries_the_role_it_leads_and_is_audited_as_itself(role: str, carries: set[str]) -> None:
    assert valid_role(role)
    signed_in = principal_of({"sub": "someone", "roles": [role]}, "roles")
    assert signed_in.roles == carries
    assert signed_in.primary_role == role
    assert Principal("someone", frozenset({role})).roles == carries  # however it is built


def test_only_the_leads_read_the_audit_trail() -> None:
    assert AUDIT_READERS == {"front_door_manager", "dsr_chair"}
    for role in ("front_door", "dsr_panel", "worker:safeguarding", "manager", "admin", "referrer"):
        assert not Principal("someone", frozenset({role})).roles & AUDIT_READERS


@pytest.mark.parametrize(("key", "role", "acts_as", "home"), [
    ("front-door-manager", "front_door_manager", "front_door", "/front-door"),
    ("dsr-chair", "dsr_chair", "dsr_panel", "/dsr"),
])
def test_the_seeded_leads_get_their_teams_pages(key: str, role: str, acts_as: str, home: str) -> None:
    lead = USERS[key]
    assert (lead.role, lead.home) == (role, home)
    assert lead.acts_as(acts_as) and lead.acts_as(role) and not lead.acts_as("admin")
    assert lead.may_read_audit
    assert not any(u.may_read_audit for u in USERS.values() if u.role not in AUDIT_READERS)
