"""The commissioning figures (aggregates only), read from intake's store and disclosed by `domain` (small
numbers suppressed)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from schemas.views import shown
from schemas.views.reports import REPORT_ROWS, Disagreement, Overview
from services.intake.reports.domain import (
    Change,
    DecisionRow,
    OverrideRow,
    ReferralRow,
    RequestRow,
    disagreement,
    disclosed,
    disclosed_disagreement,
)
from services.intake.tables import FrontDoorDecision, ReferralRecord, ServiceRequestRecord


def report_rows(session: Session, *, since: datetime) -> tuple[list[ReferralRow], list[RequestRow]]:
    """The rows the commissioning reports are computed from (referrals submitted since `since`)."""
    records = session.exec(select(ReferralRecord).where(col(ReferralRecord.submitted_at) >= since)).all()
    submitted_at = {r.id: r.submitted_at for r in records}
    referrals = [
        ReferralRow(str(r.id), r.submitted_at, r.outcome,
                    ((r.referral.get("child") or {}).get("education_setting") or {}).get("name"),
                    tuple(r.referral.get("concerns", ())))
        for r in records
    ]
    in_period = select(ServiceRequestRecord).where(col(ServiceRequestRecord.referral_id).in_(list(submitted_at)))
    requests = [
        RequestRow(q.service, q.status, submitted_at[q.referral_id], q.accepted_at, q.breached_at is not None)
        for q in session.exec(in_period).all()
    ]
    return referrals, requests


def disagreement_rows(session: Session, *, since: datetime) -> tuple[list[DecisionRow], list[OverrideRow]]:
    """Triage's decisions on the referrals submitted since `since` and people's decisions on them. A decision's
    rules are those of triage's own decision: the `fired` of the first person's decision when there is one (the
    decision in force may since be a person's), else the explanation of the decision on the referral."""
    records = [r for r in session.exec(select(ReferralRecord).where(col(ReferralRecord.submitted_at) >= since)).all()
               if r.decision]
    of_these = col(FrontDoorDecision.referral_id).in_([r.id for r in records])
    people = session.exec(select(FrontDoorDecision).where(of_these)
                          .order_by(col(FrontDoorDecision.decided_at), col(FrontDoorDecision.id))).all()
    first: dict[uuid.UUID, FrontDoorDecision] = {}
    for p in people:
        first.setdefault(p.referral_id, p)
    decisions = [
        DecisionRow(str(r.id), tuple(first[r.id].fired) if r.id in first
                    else tuple(e["rule_id"] for e in (r.decision or {}).get("explanation", ())))
        for r in records
    ]
    request_ids = [uuid.UUID(c["service_request_id"]) for p in people for c in p.changes
                   if c.get("kind") == "change_priority" and c.get("service_request_id")]
    was = {str(q.id): q.priority for q in session.exec(
        select(ServiceRequestRecord).where(col(ServiceRequestRecord.id).in_(request_ids))).all()}

    def change(c: dict[str, Any]) -> Change:
        return Change(c["kind"], c.get("priority"), was.get(str(c.get("service_request_id"))))

    overrides = [OverrideRow(str(p.referral_id), tuple(change(c) for c in p.changes)) for p in people]
    return decisions, overrides


def report(session: Session, name: str, *, since: datetime, threshold: int) -> list[dict[str, Any]]:
    """One commissioning report by name ("referrals-by-week", "waiting-times", "breaches" or "concerns-by-school";
    the disagreement report is `disagreement_report`) over the referrals submitted since `since`, counts below
    `threshold` suppressed: its rows, each as its model (schemas.views.reports) shows it."""
    rows = disclosed(*report_rows(session, since=since), threshold)[name]
    return [shown(REPORT_ROWS[name], row) for row in rows]


def disagreement_report(session: Session, *, since: datetime, threshold: int,
                        names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The front door's disagreement with triage, per rule, over the referrals submitted since `since`, counts below
    `threshold` suppressed; each rule named in words from `names` (rule id: its reason; None for a rule the ruleset
    in force no longer has)."""
    rows = disclosed_disagreement(disagreement(*disagreement_rows(session, since=since)), threshold)
    return [shown(Disagreement, named(row, names)) for row in rows]


def named(row: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """A row of the disagreement report with its rule's words after its id."""
    return {"rule_id": row["rule_id"], "rule": names.get(row["rule_id"])} | row


def overview(session: Session, *, weeks: int, since: datetime, threshold: int,
             names: Mapping[str, str]) -> dict[str, Any]:
    """Every figure of the reports page: the five reports and the totals its charts show, counts below
    `threshold` suppressed (services.intake.reports.domain, "disclosure control")."""
    figures = disclosed(*report_rows(session, since=since), threshold)
    by_week = figures["referrals-by-week"]
    return shown(Overview, {
        "weeks": weeks,
        "small_number_threshold": threshold,
        "per_week": figures["per_week"],
        "per_service": figures["per_service"],
        "per_concern": figures["per_concern"],
        "referrals_by_week": [r for r in by_week if r["service"] == "all"],
        "by_service": [r for r in by_week if r["service"] != "all"],
        "waiting_times": figures["waiting-times"],
        "breaches": figures["breaches"],
        "concerns_by_school": figures["concerns-by-school"],
        "disagreement": [named(row, names) for row in disclosed_disagreement(
            disagreement(*disagreement_rows(session, since=since)), threshold)],
    })
