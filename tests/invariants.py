"""The invariant checker every fault test and the soak end with.

For the referrals a test submitted, read what the system did — the topics as an outside observer
and each service's tables — and check, independently of the code under test:

- every referral was published once and decided exactly once by triage (one `triage.decided` id
  per referral; the same event seen twice on the wire is a redelivery, not a second decision);
- a person's decisions (overrides): each `referral.override_requested` applied exactly once (one
  `triage.overridden` id per request, so a referral may have any number of them), stored by
  intake as requested and marked applied;
- the routes of every decision (triage's and a person's) are exactly the service requests on each
  service's queue topic, in intake's `service_requests`, and in each service's worklist — none
  missing, none extra; a request withdrawn (`service_request.withdrawn`) is one of them, withdrawn
  once, and shows as withdrawn in intake and in its worklist (and no other request does);
- the referral shows one decision on its record and one decision note on the child's timeline
  (and at most one note per person's decision);
- the Dynamic Support Register equals a fold over the decisions (a person's too) in the order the
  register consumes them (per child, by offset): one entry per candidate child, created by the
  first candidate decision, its suggested rating the highest suggested, escalation marked when a
  later suggestion was higher, one timeline note per candidate decision;
- every consumer recorded each event once; nothing is left unpublished in any outbox;
- work on the referrals (`WORK`: who holds a queue item or a service request, each change a row its service stores
  and one event on the topic of the thing): every stored change published exactly once (its row's id is its event's
  id: none stored and never published, none published and never stored), none dead-lettered, each change a real one
  (it names the holder before it as the previous change left it), and every table that keeps the holder (the owning
  service's, and intake's copy of who holds each request) agrees with the last change per item;
- case notes (`NOTES`: on a front-door referral, a service request, a register entry): each note its service stored
  published exactly once (its event's id derived from the note's), none published that no service stored.

`lost` counts what should exist and does not; `duplicated` what exists more than once or should
not exist at all. Both must be zero."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, TOPIC_DSR_CHANGES, TOPIC_OUTCOMES, TOPIC_SUBMITTED, queue_topic
from schemas.enums import Service
from schemas.events import dlq_topic
from services.common.db import make_engine
from services.common.ids import derived_id
from services.common.tables import OutboxMessage, WorkAssignment
from services.dsr.tables import DsrEntry, DsrNote, DsrTimelineItem
from services.intake.tables import (
    FrontDoorDecision,
    ReferralNote,
    ReferralRecord,
    ServiceRequestHolder,
    ServiceRequestRecord,
    TimelineItem,
)
from services.worklists.tables import ServiceRequestNote, WorklistItem
from tests.kafka_tools import read_topic

SEVERITY = {None: 0, "green": 1, "amber": 2, "red": 3, "blue": 4}
DECIDED, OVERRIDDEN, WITHDRAWN = "triage.decided", "triage.overridden", "service_request.withdrawn"
REGISTER_NOTES = ("referral", "front_door")  # the register's timeline kinds for triage's and a person's decisions


@dataclass
class Report:
    referrals: int = 0
    decisions: int = 0
    overrides: int = 0  # decisions made by a person (triage.overridden)
    service_requests: int = 0
    withdrawn: int = 0
    dsr_entries: int = 0
    work: Counter[str] = field(default_factory=Counter)  # changes of each kind of work checked (WORK), by kind
    wire_records: int = 0  # records read on the checked topics, redeliveries included
    redelivered: int = 0  # records whose event id was already seen on that topic
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated

    def summary(self) -> str:
        return (f"{self.referrals} referrals, {self.decisions} decisions (and {self.overrides} by a person), "
                f"{self.service_requests} service requests ({self.withdrawn} withdrawn), "
                f"{self.dsr_entries} DSR entries"
                + "".join(f", {n} {kind}" for kind, n in sorted(self.work.items()))
                + f"; {self.wire_records} records read, {self.redelivered} redelivered; "
                f"lost {len(self.lost)}, duplicated {len(self.duplicated)}")

    def explain(self) -> str:
        return (self.summary() + "".join(f"\n  lost: {p}" for p in self.lost[:20])
                + "".join(f"\n  duplicated: {p}" for p in self.duplicated[:20]))


async def events_on(bootstrap: str, topic: str, report: Report) -> list[dict[str, Any]]:
    """The topic's events in consumption order (by partition, then offset), first sighting of each
    id, each with where it was first seen under "_at" (partition, offset)."""
    seen: set[str] = set()
    out = []
    for record in sorted(await read_topic(bootstrap, topic), key=lambda r: (r.partition, r.offset)):
        report.wire_records += 1
        try:
            event = json.loads(record.value or b"")
        except (ValueError, RecursionError):
            continue  # not an event at all (a poison record another test put on a shared broker): not ours to fold
        if not isinstance(event, dict) or "event_id" not in event:
            continue
        if event["event_id"] in seen:
            report.redelivered += 1
            continue
        seen.add(event["event_id"])
        out.append(event | {"_at": (record.partition, record.offset)})
    return out


async def check(bootstrap: str, database_url: str, referral_ids: set[str] | list[str]) -> Report:
    wanted = {str(r) for r in referral_ids}
    report = Report(referrals=len(wanted))

    on_submitted = [e for e in await events_on(bootstrap, TOPIC_SUBMITTED, report) if e.get("referral_id") in wanted]
    submissions = [e for e in on_submitted if e["event_type"] == "referral.submitted"]
    asked = {e["event_id"]: e for e in on_submitted if e["event_type"] == "referral.override_requested"}
    requested = {event_id: e["referral_id"] for event_id, e in asked.items()}
    submitted = Counter(e["referral_id"] for e in submissions)
    at = {e["referral_id"]: e["_at"] for e in submissions}
    report.lost += [f"referral {r} never published" for r in wanted - set(submitted)]
    report.duplicated += [f"referral {r} published as {n} events" for r, n in submitted.items() if n > 1]

    on_decisions = [e for e in await events_on(bootstrap, TOPIC_DECISIONS, report) if e.get("referral_id") in wanted]
    decisions = [e for e in on_decisions if e["event_type"] in (DECIDED, OVERRIDDEN)]  # a person's too, in order
    firsts = Counter(e["referral_id"] for e in decisions if e["event_type"] == DECIDED and e.get("redirect_of") is None)
    report.decisions = sum(firsts.values())
    report.lost += [f"referral {r} never decided (submitted at partition {at[r][0]}, offset {at[r][1]})" if r in at
                    else f"referral {r} never decided" for r in wanted - set(firsts)]
    report.duplicated += [f"referral {r} decided {n} times (distinct decision events)"
                          for r, n in firsts.items() if n > 1]
    overridden = [e for e in decisions if e["event_type"] == OVERRIDDEN]
    _check_overrides(report, requested, overridden)

    expected: dict[str, dict[str, str]] = defaultdict(dict)  # service -> request id -> referral id
    for decision in decisions:
        for route in decision["routes"]:
            expected[route["service"]][route["service_request_id"]] = decision["referral_id"]
    report.service_requests = sum(len(v) for v in expected.values())
    all_expected = {rid for reqs in expected.values() for rid in reqs}
    on_outcomes = [e for e in await events_on(bootstrap, TOPIC_OUTCOMES, report) if e.get("referral_id") in wanted]
    withdrawn = Counter(e["service_request_id"] for e in on_outcomes if e["event_type"] == WITHDRAWN)
    report.withdrawn = len(withdrawn)
    report.duplicated += [f"request {r} withdrawn but in no decision" for r in set(withdrawn) - all_expected]
    report.duplicated += [f"request {r} withdrawn {n} times" for r, n in withdrawn.items() if n > 1]
    _check_changes(report, asked, overridden, set(withdrawn))

    for service in Service:
        queued = Counter(e["service_request_id"] for e in await events_on(bootstrap, queue_topic(service), report)
                         if e["referral_id"] in wanted)
        _compare(report, f"{service.value} queue", set(expected[service.value]), queued)

    dead = {e["event_id"] for t in (TOPIC_DECISIONS, TOPIC_OUTCOMES) for e in await events_on(
        bootstrap, dlq_topic(t), Report())}  # dead-lettered ids (redeliveries of these are not this check's records)
    children = {d["child_id"] for d in decisions}  # the register's notes are on their entries (dsr.note_added)
    on_register = [e for e in await events_on(bootstrap, TOPIC_DSR_CHANGES, report) if e.get("child_id") in children]
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            _check_tables(session, report, wanted, expected, decisions, set(withdrawn))
            _check_front_door(session, report, wanted, requested)
            for work in WORK:
                _check_work(session, report, work, wanted, [*on_decisions, *on_outcomes, *on_register], dead)
    finally:
        engine.dispose()
    return report


def _check_overrides(report: Report, requested: dict[str, str], overrides: list[dict[str, Any]]) -> None:
    """Each person's decision requested is applied once in effect (one triage.overridden id each)."""
    asked, applied = Counter(requested.values()), Counter(e["referral_id"] for e in overrides)
    report.overrides = len(overrides)
    report.lost += [f"referral {r}: {n} decisions by a person requested, {applied[r]} applied"
                    for r, n in asked.items() if applied[r] < n]
    report.duplicated += [f"referral {r}: {n} decisions by a person applied, {asked[r]} requested"
                          for r, n in applied.items() if n > asked[r]]
    # and each by its own id: the one triage derives from the request's event id
    ids = {str(derived_id(uuid.UUID(request), OVERRIDDEN)): request for request in requested}
    found = {e["event_id"] for e in overrides}
    report.lost += [f"decision by a person {request} (referral {requested[request]}) never applied"
                    for applied_id, request in ids.items() if applied_id not in found]
    report.duplicated += [f"decision {e['event_id']} by a person (referral {e['referral_id']}) applies no request"
                          for e in overrides if e["event_id"] not in ids]


def _check_changes(report: Report, asked: dict[str, dict[str, Any]], overrides: list[dict[str, Any]],
                   withdrawn: set[str]) -> None:
    """Each person's decision did what it asked, to the requests open when it was made (its `current`):
    the requests it withdrew (or re-prioritised, or closed) withdrawn, a request for each route it added
    (or re-prioritised), the others left open; and no request withdrawn that no decision took away."""
    applied = {e["event_id"]: e for e in overrides}
    taken_away: set[str] = set()
    for request_id, ask in asked.items():
        decision = applied.get(str(derived_id(uuid.UUID(request_id), OVERRIDDEN)))
        if decision is None:
            continue  # counted as lost by _check_overrides
        open_ = {r["service_request_id"]: r for r in ask["current"]["routes"]}
        gone: set[str] = set()  # the open requests it takes away
        added: list[tuple[str, str, str]] = []  # the routes it adds (service, pathway, priority)
        for change in ask["changes"]:
            if change["kind"] == "add_route":
                added.append((change["service"], change["pathway"], change["priority"]))
            elif change["kind"] == "close":
                gone, added = set(open_), []
            elif (request := change["service_request_id"]) in open_ and request not in gone:
                gone.add(request)
                if change["kind"] == "change_priority":
                    added.append((open_[request]["service"], open_[request]["pathway"], change["priority"]))
        taken_away |= gone
        where = f"decision by a person {request_id} (referral {ask['referral_id']})"
        kept = {r["service_request_id"] for r in decision["routes"]}
        new = {(r["service"], r["pathway"], r["priority"]) for r in decision["routes"]
               if r["service_request_id"] not in open_}
        report.lost += [f"{where}: request {r} not withdrawn" for r in gone - withdrawn]
        report.lost += [f"{where}: route {' '.join(a)} not added" for a in added if a not in new]
        report.lost += [f"{where}: request {r} dropped" for r in set(open_) - gone - kept]
        report.duplicated += [f"{where}: request {r} withdrawn yet still in the decision" for r in gone & kept]
        report.duplicated += [f"{where}: route {' '.join(a)} added but not asked for" for a in new - set(added)]
    report.duplicated += [f"request {r} withdrawn but no decision by a person took it away"
                          for r in withdrawn - taken_away]


def _check_front_door(session: Session, report: Report, wanted: set[str], requested: dict[str, str]) -> None:
    """Intake stored each person's decision it sent, and marked it applied once triage's came back."""
    rows = session.exec(select(FrontDoorDecision).where(col(FrontDoorDecision.referral_id).in_(_uuids(wanted)))).all()
    stored = {str(r.id) for r in rows}
    report.lost += [f"decision by a person {d} (referral {r}) not stored by intake"
                    for d, r in requested.items() if d not in stored]
    report.lost += [f"decision by a person {r.id} (referral {r.referral_id}) never published"
                    for r in rows if str(r.id) not in requested]
    report.lost += [f"decision by a person {r.id} (referral {r.referral_id}) not marked applied"
                    for r in rows if r.applied_event_id is None]


def _compare(report: Report, where: str, expected: set[str], found: Counter[str]) -> None:
    report.lost += [f"{where}: request {r} missing" for r in expected - set(found)]
    report.duplicated += [f"{where}: request {r} not in any decision" for r in set(found) - expected]
    report.duplicated += [f"{where}: request {r} {n} times" for r, n in found.items() if n > 1]


def _uuids(values: set[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


def _check_withdrawn(report: Report, where: str, withdrawn: set[str], statuses: dict[str, str]) -> None:
    """The requests withdrawn show as withdrawn, and no other request does."""
    report.lost += [f"{where}: request {r} not withdrawn (it is {statuses[r]})"
                    for r in withdrawn & set(statuses) if statuses[r] != "withdrawn"]
    report.duplicated += [f"{where}: request {r} withdrawn with no withdrawal"
                          for r, status in statuses.items() if status == "withdrawn" and r not in withdrawn]


def _check_tables(session: Session, report: Report, wanted: set[str], expected: dict[str, dict[str, str]],
                  decisions: list[dict[str, Any]], withdrawn: set[str]) -> None:
    ids = _uuids(wanted)
    records = session.exec(select(ReferralRecord).where(col(ReferralRecord.id).in_(ids))).all()
    report.lost += [f"referral {r} not stored by intake" for r in wanted - {str(r.id) for r in records}]
    report.lost += [f"referral {r.id} not shown as decided"
                    for r in records if r.status != "decided" or r.decision is None]
    notes = Counter(str(t.referral_id) for t in session.exec(
        select(TimelineItem).where(col(TimelineItem.referral_id).in_(ids), TimelineItem.kind == "decision")).all())
    report.duplicated += [f"referral {r}: {n} decision notes on the timeline" for r, n in notes.items() if n > 1]
    by_person = Counter(d["referral_id"] for d in decisions if d["event_type"] == OVERRIDDEN)
    person_notes = Counter(str(t.referral_id) for t in session.exec(select(TimelineItem).where(
        col(TimelineItem.referral_id).in_(ids), TimelineItem.kind == "front_door_decision")).all())
    report.duplicated += [f"referral {r}: {n} notes of a person's decision on the timeline, {by_person[r]} decisions"
                          for r, n in person_notes.items() if n > by_person[r]]

    all_expected = {rid: s for s, reqs in expected.items() for rid in reqs}
    requests = session.exec(select(ServiceRequestRecord).where(col(ServiceRequestRecord.referral_id).in_(ids))).all()
    _compare(report, "intake service_requests", set(all_expected), Counter(str(r.id) for r in requests))
    _check_withdrawn(report, "intake service_requests", withdrawn, {str(r.id): r.status for r in requests})
    items = session.exec(select(WorklistItem).where(col(WorklistItem.referral_id).in_(ids))).all()
    for service in Service:
        _compare(report, f"{service.value} worklist", set(expected[service.value]),
                 Counter(str(i.id) for i in items if i.service == service.value))
    _check_withdrawn(report, "worklist", withdrawn, {str(i.id): i.status for i in items})

    _check_register(session, report, decisions)

    query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
    unpublished = session.exec(query).one()
    if unpublished:
        report.lost.append(f"{unpublished} outbox rows never published")


def _check_register(session: Session, report: Report, decisions: list[dict[str, Any]]) -> None:
    """The register as a fold over the candidate decisions (triage's and a person's alike), per child in
    consumption order."""
    fold: dict[str, dict[str, Any]] = {}
    for d in decisions:
        dsr = d["dsr"]
        if not dsr["candidate"] or d.get("redirect_of") is not None:
            continue
        suggested = dsr.get("suggested_rating")
        entry = fold.get(d["child_id"])
        if entry is None:
            consent = (dsr.get("consent") or "") == "given"
            fold[d["child_id"]] = {"first": d["event_id"], "status": "pending_review" if consent else "pending_consent",
                                   "suggested": suggested, "escalation": False, "notes": 1}
            continue
        if SEVERITY[suggested] > SEVERITY[entry["suggested"]]:
            entry["suggested"], entry["escalation"] = suggested, True
        entry["notes"] += 1

    children = _uuids(set(fold))
    entries = session.exec(select(DsrEntry).where(col(DsrEntry.child_id).in_(children))).all() if children else []
    report.dsr_entries = len(entries)
    by_child = defaultdict(list)
    for e in entries:
        by_child[str(e.child_id)].append(e)
    notes = Counter(str(t.entry_id) for t in session.exec(
        select(DsrTimelineItem).where(col(DsrTimelineItem.entry_id).in_([e.id for e in entries]),
                                      col(DsrTimelineItem.kind).in_(REGISTER_NOTES))).all()) if entries else Counter()
    for child, want in fold.items():
        found = by_child.get(child, [])
        if not found:
            report.lost.append(f"DSR entry for child {child} missing")
            continue
        if len(found) > 1:
            report.duplicated.append(f"child {child} has {len(found)} DSR entries")
        e = found[0]
        got = {"id": str(e.id), "status": e.status, "suggested": e.suggested_rating,
               "escalation": e.escalation_suggested, "notes": notes[str(e.id)]}
        exp = {"id": str(derived_id(uuid.UUID(want["first"]), "dsr.entry")), "status": want["status"],
               "suggested": want["suggested"], "escalation": want["escalation"], "notes": want["notes"]}
        if got != exp:
            (report.duplicated if got["notes"] > exp["notes"] else report.lost).append(
                f"DSR entry for child {child}: {got} != fold {exp}")


# --- work on the referrals: stored changes, each announced by one event ---------------------------------------------

Change = dict[str, Any]  # one change as stored or as announced: its event id, the item, and what the event says


@dataclass(frozen=True)
class Work:
    """A kind of work a service stores a row for and announces with one event each (the row's id is the event's):
    `event_types` (event type -> the field naming the item), `stored` (every stored change about the wanted
    referrals, as the event would say it), `chained` (each change names what the one before left, so a change
    applied twice, or one lost, shows), and `keepers`: each table keeping the item's state from the last change, as
    (what it is, the event type it keeps, item id -> what it keeps, the last change -> what it should keep)."""

    kind: str
    event_types: dict[str, str]
    stored: Callable[[Session, set[str]], list[Change]]
    chained: Callable[[Change | None, Change], str | None] | None = None
    keepers: tuple[tuple[str, str, Callable[[Session, set[str]], dict[str, Any]], Callable[[Change], Any]], ...] = ()


def _stored_assignments(session: Session, wanted: set[str]) -> list[Change]:
    """Every stored change of who holds a queue item (the referral) or one of its service requests."""
    referrals = _uuids(wanted)
    requests = session.exec(select(ServiceRequestRecord.id).where(col(ServiceRequestRecord.referral_id).in_(referrals))
                            ).all() if referrals else []
    items = [*referrals, *requests]
    rows = session.exec(select(WorkAssignment).where(col(WorkAssignment.item_id).in_(items))).all() if items else []
    return [{"event_id": str(r.id), "item": str(r.item_id), "at": r.at.isoformat(), "change": r.change,
             "assigned_to": r.assigned_to, "previously_assigned_to": r.previously_assigned_to} for r in rows]


def _after(before: Change | None, change: Change) -> str | None:
    """A change of holder names the holder the change before it left (nobody before the first), and changes it."""
    was = before["assigned_to"] if before else None
    if change.get("previously_assigned_to") != was:
        return f"says it was held by {change.get('previously_assigned_to')!r}, but {was!r} held it"
    if change.get("assigned_to") == was:
        return f"changes nothing: {was!r} held it already"
    return None


def _holder(change: Change) -> Any:
    return change.get("assigned_to")


def _holders_on(table: Any, holder: str = "assigned_to") -> Callable[[Session, set[str]], dict[str, Any]]:
    def kept(session: Session, items: set[str]) -> dict[str, Any]:
        ids = _uuids(items)
        rows = session.exec(select(table.id, getattr(table, holder)).where(col(table.id).in_(ids))).all() if ids else []
        return {str(i): h for i, h in rows}

    return kept


ASSIGNMENTS = Work(
    kind="assignment changes",
    event_types={"referral.assigned": "referral_id", "service_request.assigned": "service_request_id"},
    stored=_stored_assignments, chained=_after,
    keepers=(("front door's queue (intake referrals)", "referral.assigned", _holders_on(ReferralRecord), _holder),
             ("worklist", "service_request.assigned", _holders_on(WorklistItem), _holder),
             ("intake's copy of who holds a request", "service_request.assigned", _holders_on(ServiceRequestHolder),
              _holder)),
)


def _stored_notes(session: Session, wanted: set[str]) -> list[Change]:
    """Every case note on the wanted referrals, their service requests and their children's register entries."""
    referrals = _uuids(wanted)
    if not referrals:
        return []
    requests = session.exec(select(WorklistItem.id).where(col(WorklistItem.referral_id).in_(referrals))).all()
    children = session.exec(select(ReferralRecord.child_id).where(col(ReferralRecord.id).in_(referrals))).all()
    entries = session.exec(select(DsrEntry.id).where(col(DsrEntry.child_id).in_(children))).all()
    found: list[Change] = []
    for table, column, ids in ((ReferralNote, "referral_id", referrals),
                               (ServiceRequestNote, "service_request_id", requests), (DsrNote, "entry_id", entries)):
        notes = session.exec(select(table).where(col(getattr(table, column)).in_(ids))).all() if ids else []
        found += [{"event_id": str(derived_id(n.id, "note_added")), "item": str(getattr(n, column)),
                   "at": n.at.isoformat(), "change": "note"} for n in notes]
    return found


NOTES = Work(kind="case notes", stored=_stored_notes, event_types={
    "referral.note_added": "referral_id", "service_request.note_added": "service_request_id",
    "dsr.note_added": "entry_id"})
WORK: list[Work] = [ASSIGNMENTS, NOTES]


def _check_work(session: Session, report: Report, work: Work, wanted: set[str], wire: list[dict[str, Any]],
                dead: set[str]) -> None:
    announced = {e["event_id"]: {"event_id": e["event_id"], "item": e[work.event_types[e["event_type"]]],
                                 "at": e["occurred_at"], **e}
                 for e in wire if e["event_type"] in work.event_types}
    stored = {c["event_id"]: c for c in work.stored(session, wanted)}
    report.work[work.kind] += len(stored)
    report.lost += [f"{work.kind}: {c['change'] if 'change' in c else 'change'} {i} of {c['item']} stored, never "
                    "published" for i, c in stored.items() if i not in announced]
    report.duplicated += [f"{work.kind}: {i} of {c['item']} published, never stored (or stored twice)"
                          for i, c in announced.items() if i not in stored]
    report.lost += [f"{work.kind}: {i} dead-lettered" for i in set(announced) & dead]
    last: dict[str, Change] = {}
    for change in sorted(announced.values(), key=lambda c: (c["item"], c["at"], c["event_id"])):
        if work.chained is not None and (wrong := work.chained(last.get(change["item"]), change)):
            report.duplicated.append(f"{work.kind}: {change['event_id']} of {change['item']} {wrong}")
        last[change["item"]] = change
    for where, event_type, kept_by, expected in work.keepers:
        items = {item: change for item, change in last.items() if change["event_type"] == event_type}
        kept = kept_by(session, set(items))
        for item, change in items.items():
            if item not in kept:
                report.lost.append(f"{work.kind}: {where} has no row for {item}")
            elif kept[item] != expected(change):
                report.lost.append(f"{work.kind}: {where} keeps {kept[item]!r} for {item}, the last change says "
                                   f"{expected(change)!r}")
