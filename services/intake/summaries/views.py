"""A referral's summary for the child's family or school (read only; the caller writes the audit row)."""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from typing import Any

from sqlmodel import Session

from schemas.views import shown
from schemas.views.summaries import FamilySummary
from services.common.auth import Principal
from services.intake.referrals import disclosure
from services.intake.referrals.domain import ReferralNotFoundError
from services.intake.referrals.views import referral_view
from services.intake.summaries import domain
from services.intake.tables import ReferralRecord
from services.policy.ruleset import RulesetError
from services.policy.ruleset.in_force import ruleset_in_force
from services.policy.safeguarding import Safeguarding, safeguarding

UNKNOWN = Safeguarding(frozenset(), frozenset({("safeguarding", domain.ANY)}), frozenset())  # see _policy


def summary_view(session: Session, referral_id: uuid.UUID, *, by: Principal, today: date,
                 ruleset_path: str | None = None) -> tuple[dict[str, Any], uuid.UUID]:
    """The summary of a referral: its referrer's own (ReferralNotFoundError for anyone else's), or any for the
    front door. Both read what the referrer may see (never the front door's whole explanation), less what MASH has
    yet to decide. With the child's id, for the audit row."""
    record = session.get(ReferralRecord, referral_id)
    if record is None or (record.submitted_by != by.subject and not by.has("front_door")):
        raise ReferralNotFoundError
    as_referrer = Principal(subject=record.submitted_by, roles=frozenset({"referrer"}))
    view = referral_view(session, referral_id, by=as_referrer, ruleset_path=ruleset_path)
    guard, register_rules = _policy(ruleset_path or disclosure.configured_ruleset())
    summary = domain.family_summary(view, mash_rules=guard.rules, mash_routes=guard.routes, mash_codes=guard.codes,
                                    register_rules=register_rules, today=today)
    return shown(FamilySummary, summary), record.child_id


@cache
def _policy(path: str | None) -> tuple[Safeguarding, frozenset[str]]:
    """(what of a decision is MASH's, the register's rules) by the policy at `path` (None: the one in force). A
    policy that cannot be read: the referrer's view words every reason as history already, and MASH's requests are
    those of the safeguarding service (any pathway)."""
    try:
        source = ruleset_in_force(path).source
    except (OSError, RulesetError):
        return UNKNOWN, frozenset()
    register = frozenset({source.dsr.candidate.id, *(r.id for r in source.dsr.ratings),
                          *(r.id for r in source.dsr.consent)})
    return safeguarding(source), register
