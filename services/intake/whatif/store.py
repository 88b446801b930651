"""Where a what-if's events come from: the stored referral.submitted events (intake's outbox keeps each
event's payload exactly as it was sent, with the history facts it carried), or a JSON-lines export.
Reads only: the session is never committed (read-only on PostgreSQL) and nothing is added to it."""

from __future__ import annotations

import json
import statistics
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from schemas.events import TOPIC_SUBMITTED, ReferralSubmitted
from services.policy.whatif import LONDON, Acceptance


class EventsFileError(ValueError):
    """A JSON-lines line that is not a referral.submitted event (its line number, never its content)."""


@dataclass
class Stored:
    events: list[ReferralSubmitted]
    apart: dict[str, int]
    acceptance: Acceptance | None = None


def in_period(event: ReferralSubmitted, since: date | None, until: date | None) -> bool:
    day = event.submitted_at.astimezone(LONDON).date()
    return (since is None or day >= since) and (until is None or day <= until)


def latest_per_referral(events: Iterable[ReferralSubmitted]) -> list[ReferralSubmitted]:
    """A referral sent to triage again (missing information completed) counts once: its latest event."""
    latest: dict[uuid.UUID, ReferralSubmitted] = {}
    for event in events:
        kept = latest.get(event.referral_id)
        if kept is None or (event.submitted_at, str(event.event_id)) >= (kept.submitted_at, str(kept.event_id)):
            latest[event.referral_id] = event
    return sorted(latest.values(), key=lambda e: (e.submitted_at, str(e.referral_id)))


def from_database(engine: Engine, *, since: date | None = None, until: date | None = None) -> Stored:
    """The stored referral.submitted events in the period (by local submission day), one per referral, and
    the number of those referrals a person overrode or redirected (reported apart: the what-if replays rules)."""
    from services.common.tables import OutboxMessage
    from services.intake.tables import FrontDoorDecision, ReferralRecord, ServiceRequestRecord

    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SET TRANSACTION READ ONLY"))  # the first statement of its transaction
        rows = session.exec(select(OutboxMessage.payload).where(OutboxMessage.topic == TOPIC_SUBMITTED))
        events = latest_per_referral(  # the topic also carries referral.redirected events: those are not replayed
            e for e in (ReferralSubmitted.model_validate(d) for d in map(json.loads, rows)
                        if d.get("event_type") == "referral.submitted")
            if in_period(e, since, until)
        )
        ids = {e.referral_id for e in events}
        overridden = set(session.exec(select(FrontDoorDecision.referral_id).distinct()))
        redirected = set(session.exec(
            select(ServiceRequestRecord.referral_id).where(ServiceRequestRecord.redirect_of.is_not(None))  # type: ignore[union-attr]
        ))
        accepted = session.exec(
            select(ServiceRequestRecord.referral_id, ServiceRequestRecord.service, ServiceRequestRecord.accepted_at,
                   ReferralRecord.submitted_at)
            .join(ReferralRecord, ReferralRecord.id == ServiceRequestRecord.referral_id)  # type: ignore[arg-type]
            .where(ServiceRequestRecord.accepted_at.is_not(None))  # type: ignore[union-attr]
        ).all()
        session.rollback()
    return Stored(events, {"overridden_by_a_person": len(ids & overridden), "redirected": len(ids & redirected)},
                  acceptance_of(accepted))


def acceptance_of(rows: Iterable[tuple[uuid.UUID, str, object, object]]) -> Acceptance:
    """The services' actual acceptance times from (referral id, service, accepted at, submitted at) rows."""
    accepted: dict[tuple[str, str], object] = {}
    delays: dict[str, list[float]] = {}
    for referral_id, service, at, submitted in rows:
        accepted.setdefault((str(referral_id), service), at)
        delays.setdefault(service, []).append((at - submitted).total_seconds())  # type: ignore[operator]
    median = {s: timedelta(seconds=statistics.median(d)) for s, d in delays.items()}
    return Acceptance(accepted=accepted, median=median)  # type: ignore[arg-type]


def from_lines(lines: Iterable[str], *, since: date | None = None, until: date | None = None) -> Stored:
    """The events of a JSON-lines export (one referral.submitted event a line; blank lines skipped)."""
    def parsed() -> Iterator[ReferralSubmitted]:
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield ReferralSubmitted.model_validate(json.loads(line))
            except ValueError:
                raise EventsFileError(f"line {n}: not a valid referral.submitted event") from None

    return Stored(latest_per_referral(e for e in parsed() if in_period(e, since, until)), {})


def from_file(path: Path, *, since: date | None = None, until: date | None = None) -> Stored:
    with path.open(encoding="utf-8") as f:
        return from_lines(f, since=since, until=until)
