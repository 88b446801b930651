"""A person added to the register directly (any age), by the DSR panel or an adult-services or health
practitioner (role `dsr_referrer`): a new pending entry, or, for a person already on the register, a note on
their open entry (with an escalation suggestion when this addition's suggested rating is higher). Never a
second entry. The suggested rating comes from the council's ruleset (its `dsr.ratings` section), the same
policy triage applies to a children's referral; only a meeting sets the rating."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlmodel import Session, select

from schemas.enums import DsrChangeType, DsrRisk
from schemas.referral import age_on
from services.dsr import domain, identity, rules
from services.dsr.domain import Clock, Rating, Status
from services.dsr.handlers import add_to_timeline, announce, matching_open_entry, note
from services.dsr.tables import DsrConsent, DsrEntry, DsrTimelineItem
from services.policy.ratings import suggested_dsr_rating
from services.policy.ruleset.compiled import Ruleset

DIRECT = "direct"  # the timeline kind of an addition made directly


@dataclass(frozen=True)
class DirectIn:
    """What the person adding someone to the register said (already validated)."""

    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    diagnoses: tuple[str, ...]
    risks: tuple[str, ...]
    has_ehcp: bool
    consent: str  # given | needed | best_interests
    consent_given_by: str | None
    referring_agency: str
    referrer_contact: str
    reason: str
    current_setting: str  # community | inpatient


@dataclass(frozen=True)
class DirectResult:
    entry: DsrEntry
    created: bool  # False: noted on the person's open entry


def register_risks(risks: tuple[str, ...], setting: str) -> frozenset[str]:
    """The risks the ruleset is asked about: an inpatient setting counts as `mh_inpatient_current`."""
    return frozenset(risks) | ({DsrRisk.mh_inpatient_current.value} if setting == "inpatient" else frozenset())


def suggested_rating(ruleset: Ruleset, addition: DirectIn, today: date) -> Rating | None:
    """The rating the policy suggests for this addition's facts (risks, setting, diagnoses, age; every other fact
    neutral), as triage suggests one for a children's referral."""
    rating = suggested_dsr_rating(ruleset, {
        "risks": register_risks(addition.risks, addition.current_setting),
        "diagnoses": frozenset(addition.diagnoses), "age": age_on(addition.date_of_birth, today)})
    return Rating(rating) if rating else None


def submission_key(by: str, addition: DirectIn) -> str:
    """The same addition sent again by the same person (a double click, a retry) has the same key."""
    canonical = json.dumps([by, asdict(addition)], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _sent_before(session: Session, entry: DsrEntry, key: str) -> DsrTimelineItem | None:
    lines = session.exec(select(DsrTimelineItem).where(DsrTimelineItem.entry_id == entry.id,
                                                       DsrTimelineItem.kind == DIRECT)).all()
    return next((line for line in lines if line.detail.get("submission") == key), None)


def add_direct(session: Session, addition: DirectIn, *, by: str, suggested: Rating | None,
               clock: Clock) -> DirectResult:
    """A new pending entry, or a note on the person's open entry; the very same addition sent again by the same
    person changes nothing and answers as the first did."""
    key = submission_key(by, addition)
    who = identity.person(nhs_number=addition.nhs_number, given_name=addition.given_name,
                          family_name=addition.family_name, born=addition.date_of_birth)
    entry = matching_open_entry(session, who)
    if entry is not None:
        earlier = _sent_before(session, entry, key)
        if earlier is not None:
            return DirectResult(entry, created=bool(earlier.detail.get("created")))
    outcome = rules.on_candidate(
        open_entry_rating=domain.rating(entry.rating) if entry else None,
        open_entry_suggested=domain.rating(entry.suggested_rating) if entry else None,
        has_open_entry=entry is not None, suggested=suggested, consent_given=addition.consent != "needed",
        today=clock.today, calendar=clock.calendar,
    )
    summary = domain.direct_summary(
        agency=addition.referring_agency, created=entry is None, diagnoses=list(addition.diagnoses),
        risks=list(addition.risks), setting=addition.current_setting, suggested=suggested, escalate=outcome.escalate)
    detail = {"submission": key, "added_by": by, "referring_agency": addition.referring_agency,
              "diagnoses": list(addition.diagnoses), "risks": list(addition.risks),
              "current_setting": addition.current_setting, "reason": addition.reason,
              "referrer_contact": addition.referrer_contact}
    if entry is not None:
        note(session, entry, suggested, outcome, clock, at=clock.now, kind=DIRECT, summary=summary,
             source=uuid.uuid4(), created=False, **detail)
        return DirectResult(entry, created=False)
    entry = _create(session, addition, by=by, suggested=suggested, status=outcome.status or Status.pending_consent,
                    clock=clock)
    add_to_timeline(session, entry, clock.now, DIRECT, summary, created=True, **detail)
    announce(session, entry, DsrChangeType.entry_created, source=entry.id, now=clock.now, by=by)
    return DirectResult(entry, created=True)


def _create(session: Session, addition: DirectIn, *, by: str, suggested: Rating | None, status: Status,
            clock: Clock) -> DsrEntry:
    entry_id = uuid.uuid4()
    entry = DsrEntry(
        id=entry_id, child_id=domain.person_id_for(entry_id), status=status,
        suggested_rating=suggested.value if suggested else None, given_name=addition.given_name,
        family_name=addition.family_name, date_of_birth=addition.date_of_birth, nhs_number=addition.nhs_number,
        has_ehcp=addition.has_ehcp, created_at=clock.now, updated_at=clock.now, source=DIRECT, added_by=by,
        referring_agency=addition.referring_agency, referrer_contact=addition.referrer_contact,
        reason=addition.reason, diagnoses=list(addition.diagnoses), risks=list(addition.risks),
        current_setting=addition.current_setting,
    )
    session.add(entry)
    session.flush()
    if addition.consent != "needed":
        session.add(DsrConsent(entry_id=entry.id, basis=addition.consent, given_by=addition.consent_given_by or "",
                               given_at=clock.now, reconfirm_due=rules.consent_reconfirm_due(clock.today)))
    return entry
