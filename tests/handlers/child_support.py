"""One child known to every service, for the child's page and "who saw this child" tests (issue 23, items 2 and 8):
a referral intake decided (a counselling request, and a SEMH request held for MASH), the worklists' copies of both
(counselling's details as its sharing list gives them: no NHS number), and a register entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from schemas import ServiceRequestCreated
from services.dsr.tables import DsrEntry
from services.intake.referrals import handlers
from services.intake.tables import ReferralRecord
from services.worklists.handlers import receive
from tests.factories import CANARY_DOB, CANARY_FAMILY, CANARY_GIVEN, CANARY_POSTCODE
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import decided, requests_of, route, submit
from tests.handlers.test_dsr import applied, decision

# What the reference ruleset's sharing list gives counselling (no NHS number) and what it may show of them
COUNSELLING_SHARES = {"given_name": CANARY_GIVEN, "family_name": CANARY_FAMILY, "date_of_birth": CANARY_DOB,
                      "postcode": CANARY_POSTCODE, "education_setting_name": "Example Academy",
                      "reason": "Counselling's copy of why"}


@dataclass(frozen=True)
class KnownChild:
    referral: ReferralRecord
    counselling_request: uuid.UUID
    held_request: uuid.UUID
    entry: DsrEntry

    @property
    def child_id(self) -> uuid.UUID:
        return self.referral.child_id


def known_child(session: Session) -> KnownChild:
    record = submit(session)
    assert handlers.apply_decision(session, decided(record, route("counselling"), route("semh", held=True)), NOW)
    session.commit()
    requests = {r.service: r for r in requests_of(session, record)}
    for service, details in (("counselling", COUNSELLING_SHARES), ("semh", {"given_name": CANARY_GIVEN})):
        request = requests[service]
        assert receive(session, ServiceRequestCreated(
            event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=request.id, referral_id=record.id,
            child_id=record.child_id, service=service, pathway=request.pathway, priority=request.priority,
            due_by=request.due_by, held=request.held, reasons=[{"rule_id": "route.test", "because": "a test"}],
            details=details), NOW)
    session.commit()
    entry = applied(session, decision(record.child_id))
    return KnownChild(record, requests["counselling"].id, requests["semh"].id, entry)
