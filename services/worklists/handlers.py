"""Worklist use cases: receive a request, act on it, decide on held requests, mark breaches, a
front-door decision withdrawing a request, and two child records merged (or the merge undone). Each event
goes out through the outbox, in the same transaction as the change it announces."""

from __future__ import annotations

import uuid
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy import update
from sqlmodel import Session, col, select

from schemas import TOPIC_OUTCOMES, ChildMerged, ChildUnmerged, ServiceOutcome, ServiceRequestCreated
from schemas.enums import OutcomeEventType, Service
from schemas.lifecycle import NOT_YET_ACCEPTED, OUTCOME_EVENT, WITHDRAWABLE, Action, RequestStatus
from services.common.errors import NotFoundError
from services.common.logging import get_logger
from services.common.outbox import enqueue
from services.worklists import rules
from services.worklists.domain import MASH_SIGNPOST, breach_event, outcome_event
from services.worklists.tables import WorklistItem

log = get_logger("frontdoor.worklists")
BREACHES = Counter("frontdoor_sla_breaches", "Service requests not accepted by their due date", ["service"])


class RequestNotFoundError(NotFoundError):
    message = "No request of this service has this id"


class HeldRequestNotFoundError(NotFoundError):
    message = "This referral has no request with this id"


NOT_RECEIVED = ""  # the priority of a request whose withdrawal came before the request itself


def receive(session: Session, event: ServiceRequestCreated, now: datetime) -> bool:
    """Materialise one service_request.created into its service's worklist; False when it is already there.
    A request whose withdrawal came first is filled in and stays withdrawn."""
    item = session.get(WorklistItem, event.service_request_id)
    if item is not None and item.priority != NOT_RECEIVED:
        return False
    item = item or WorklistItem(id=event.service_request_id, service=event.service.value, referral_id=event.referral_id,
                                child_id=event.child_id, updated_at=event.occurred_at)
    item.pathway, item.priority, item.due_by, item.held = event.pathway, event.priority.value, event.due_by, event.held
    item.reasons = [r.model_dump() for r in event.reasons]
    item.details, item.received_at = event.details.model_dump(exclude_none=True), event.occurred_at
    session.add(item)
    return True


def withdraw(session: Session, event: ServiceOutcome, now: datetime) -> bool:
    """A person on the front door took the request away (service_request.withdrawn): it leaves the open
    worklist as withdrawn, with who and why. False (nothing changes) when the service has accepted it or
    otherwise finished with it: intake refuses that up front. A withdrawal that overtakes its request (they
    come by different topics) is kept, and the request is filled in when it arrives."""
    item = session.get(WorklistItem, event.service_request_id)
    if item is None:
        item = WorklistItem(
            id=event.service_request_id, service=event.service.value, referral_id=event.referral_id,
            child_id=event.child_id, pathway=event.pathway or "", priority=NOT_RECEIVED,
            due_by=event.due_by or event.occurred_at, received_at=event.occurred_at, updated_at=event.occurred_at,
        )
    elif item.status not in WITHDRAWABLE:
        if item.status != RequestStatus.withdrawn:
            log.warning("withdrawal of a request no longer waiting left it as it was", status=item.status,
                        service_request_id=str(item.id), referral_id=str(item.referral_id))
        return False
    item.status, item.actor, item.outcome_reason = RequestStatus.withdrawn.value, event.by, event.reason
    item.actor_name = event.by_name
    item.updated_at = event.occurred_at
    session.add(item)
    return True


def ignore(session: Session, event: ServiceOutcome, now: datetime) -> bool:
    """Every other service outcome means nothing to the worklists (the worklists announced it)."""
    return False


def follow_merge(session: Session, event: ChildMerged, now: datetime) -> bool:
    """A person on the front door found two child records to be one child: exactly the requests the merge
    moved follow it to the surviving record, and those it holds for MASH wait. False when nothing changed here."""
    moved = _relink(session, event.service_request_ids, from_child=event.merged_id, to_child=event.survivor_id)
    return _set_held(session, event.held_request_ids, held=True) or moved


def follow_unmerge(session: Session, event: ChildUnmerged, now: datetime) -> bool:
    """The merge undone: exactly the requests it moved go back to the merged record, and those it held that
    no longer wait for MASH are released. False when nothing changed here (never received, or already back)."""
    moved = _relink(session, event.service_request_ids, from_child=event.survivor_id, to_child=event.merged_id)
    return _set_held(session, event.released_request_ids, held=False) or moved


def _set_held(session: Session, ids: list[uuid.UUID], *, held: bool) -> bool:
    """A merge's holds for MASH (and their release by its undo), on the requests no service has taken on yet."""
    if not ids:
        return False
    items = session.exec(select(WorklistItem).where(col(WorklistItem.id).in_(ids), WorklistItem.held != held,
                                                    WorklistItem.status == RequestStatus.created)).all()
    for item in items:
        item.held = held
        session.add(item)
    return bool(items)


def _relink(session: Session, ids: list[uuid.UUID], *, from_child: uuid.UUID, to_child: uuid.UUID) -> bool:
    """Only the rows still on `from_child` move, so a redelivery finds nothing to do. Nothing else of the
    row changes (not even updated_at): an undo leaves each row exactly as it was before the merge."""
    if not ids:
        return False
    items = session.exec(select(WorklistItem).where(col(WorklistItem.id).in_(ids),
                                                    WorklistItem.child_id == from_child)).all()
    for item in items:
        item.child_id = to_child
        session.add(item)
    return bool(items)


def item_of(session: Session, service: str, request_id: uuid.UUID) -> WorklistItem:
    """The request if it is this service's; another service's request is as good as missing."""
    item = session.get(WorklistItem, request_id)
    if item is None or item.service != service:
        raise RequestNotFoundError
    return item


def _announce(session: Session, event: ServiceOutcome) -> None:
    enqueue(session, event, topic=TOPIC_OUTCOMES, key=str(event.child_id))


def act(session: Session, service: str, request_id: uuid.UUID, action: str, *, by: str, now: datetime,
        reason: str | None = None, signpost: str | None = None, redirect_to: str | None = None,
        by_name: str | None = None) -> WorklistItem:
    """accept, decline (reason + signpost), redirect (service + reason) or complete; `by_name` is the person's
    display name, kept with the request and sent with the outcome."""
    item, kind = item_of(session, service, request_id), Action(action)
    status = rules.check_action(kind, status=item.status, held=item.held, service=service, redirect_to=redirect_to)
    item.status, item.updated_at, item.actor, item.actor_name = status.value, now, by, by_name
    if kind is Action.accept:
        item.accepted_at = now
    if reason:
        item.outcome_reason = reason
    item.signpost, item.redirect_to = signpost or item.signpost, redirect_to or item.redirect_to
    session.add(item)
    _announce(session, outcome_event(item, OUTCOME_EVENT[kind], by=by, by_name=by_name, now=now, reason=reason,
                                     signpost=signpost, redirect_to=Service(redirect_to) if redirect_to else None))
    return item


def held_items(session: Session, referral_id: uuid.UUID) -> list[WorklistItem]:
    """The referral's requests still held for MASH (held and not yet acted on)."""
    query = select(WorklistItem).where(WorklistItem.referral_id == referral_id, WorklistItem.held == True)  # noqa: E712
    return [i for i in session.exec(query).all() if i.status == RequestStatus.created]


def chosen_held(session: Session, referral_id: uuid.UUID, request_ids: list[uuid.UUID] | None) -> list[WorklistItem]:
    """The held requests MASH decides on: those of `request_ids` (each must be the referral's, else not found, and
    still held, else ActionRefusedError saying what became of it), or every one still held when no ids are sent."""
    if request_ids is None:
        return held_items(session, referral_id)
    items = []
    for request_id in dict.fromkeys(request_ids):
        item = session.get(WorklistItem, request_id)
        if item is None or item.referral_id != referral_id:
            raise HeldRequestNotFoundError
        refusal = rules.held_refusal(status=item.status, held=item.held)
        if refusal:
            raise rules.ActionRefusedError(refusal)
        items.append(item)
    return items


def decide_held(session: Session, referral_id: uuid.UUID, decision: str, *, by: str, now: datetime,
                reason: str | None, request_ids: list[uuid.UUID] | None = None, by_name: str | None = None) -> int:
    """MASH releases the referral's held requests to their services, or declines them (the reason goes to the
    service and the referrer, with MASH as the signpost): the chosen ones, or all still held when none are chosen.
    A chosen request decided already refuses the whole decision (409), so nothing is half done."""
    items = chosen_held(session, referral_id, request_ids)
    for item in items:
        item.updated_at, item.actor, item.actor_name = now, by, by_name
        if decision == "release":
            item.held = False
            event = outcome_event(item, OutcomeEventType.released, by=by, by_name=by_name, now=now, reason=reason)
        else:
            item.status, item.outcome_reason = RequestStatus.declined.value, reason
            event = outcome_event(item, OutcomeEventType.declined, by=by, by_name=by_name, now=now, reason=reason,
                                  signpost=MASH_SIGNPOST)
        session.add(item)
        _announce(session, event)
    return len(items)


def mark_breaches(session: Session, now: datetime, *, limit: int = 500) -> int:
    """Emit service_request.breached once per request not accepted by its due date.

    Safe with several replicas: each request is claimed by a conditional UPDATE (breached_at IS
    NULL), so only one transaction wins it, and its event is queued in that same transaction; the
    event id is derived from the request, so even a replayed claim yields the same event."""
    not_yet_breached = col(WorklistItem.breached_at).is_(None)
    late = col(WorklistItem.status).in_(NOT_YET_ACCEPTED) & (col(WorklistItem.due_by) < now)
    due = session.exec(select(WorklistItem.id).where(not_yet_breached, late).limit(limit)).all()
    count = 0
    for request_id in due:
        claim = update(WorklistItem).where(col(WorklistItem.id) == request_id, not_yet_breached)
        if session.execute(claim.values(breached_at=now)).rowcount != 1:  # type: ignore[attr-defined]
            continue  # another replica took it
        item = session.get(WorklistItem, request_id)
        assert item is not None
        _announce(session, breach_event(item, now))
        BREACHES.labels(item.service).inc()
        count += 1
    return count
