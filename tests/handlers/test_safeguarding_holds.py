"""Safeguarding first, as a property: while MASH has yet to decide about a child, no path that makes a request
(triage of a new referral, a person's decision, a redirect, triage again after missing information, a merge of
child records and its undo) lets a worker of another service read the child's details.

The whole system runs in one process on a migrated SQLite file, without a broker: intake's, triage's and the
worklists' own handlers, with every event queued in an outbox delivered to its consumers in order. Hypothesis
drives random sequences of what people do (referrers, the front door, MASH and the services). After each step,
every request of a child that came while MASH had yet to decide about the child (by the worklists' own rows)
is read as its service's worker reads it: unless its priority or service is exempt from the hold (an emergency
goes straight to its service), the worker sees no child until MASH releases it."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import (
    TOPIC_CHILDREN,
    TOPIC_OUTCOMES,
    TOPIC_SUBMITTED,
    ChildMerged,
    ChildUnmerged,
    OverrideRequested,
    Referral,
    ReferralRedirected,
    ReferralSubmitted,
    ServiceOutcome,
    ServiceRequestCreated,
)
from schemas.lifecycle import RequestStatus
from schemas.referral import LONDON
from services.common.db import make_engine, migrate
from services.common.errors import DomainError
from services.common.tables import OutboxMessage
from services.demo import sample_nhs_number
from services.intake.children import handlers as children
from services.intake.front_door.domain import PersonsDecision
from services.intake.referrals import handlers as intake
from services.intake.tables import ReferralRecord
from services.policy.ruleset import load_ruleset
from services.triage.outputs import triage, triage_redirect
from services.triage.overrides import apply_override
from services.worklists import handlers as worklists
from services.worklists import views
from services.worklists.tables import WorklistItem
from tests.factories import referral_body
from tests.handlers.conftest import NOW, principal

RULESET = load_ruleset()
REFERRER = principal("school-a", "referrer")
FRONT_DOOR = principal("fd-1", "front_door")
CHILDREN = [("Amara", "Okafor", "2014-02-27", 101), ("Bilal", "Hussain", "2013-06-02", 202),
            ("Cerys", "Pryce", "2015-09-14", 303), ("Dara", "Quinn", "2009-05-20", 404)]  # Dara: 16, her own contact
# Who to contact about each child (contract 1.1): none of it may reach a worker while MASH has yet to decide.
PARENTS = [{"name": "Nkechi Parentname", "relationship": "mother", "parental_responsibility": True, "may_contact": True,
            "preferred_contact": "email", "email": "nkechi.parent@example.org", "interpreter_language": "Igbo"},
           {"name": "Colm Parentname", "relationship": "father", "parental_responsibility": True,
            "may_contact": False, "do_not_contact_reason": "A court order forbids contact."}]
OWN_CONTACT = {"preferred_contact": "phone", "phone": "07700 900999"}
CONTACT_WORDS = ["Parentname", "nkechi.parent@example.org", "Igbo", "court order", "07700 900999"]
KINDS: dict[str, dict[str, Any]] = {  # what a referral says, and so which routes triage gives it
    "safeguarding": {"risks": ["harm_or_abuse_disclosure"], "concerns": ["anxiety", "speech_sounds", "housing"]},
    "domestic_abuse": {"concerns": ["domestic_abuse", "low_mood", "bereavement"], "impact": "moderate"},
    "speech": {"concerns": ["speech_sounds", "expressive_language"]},
    "mental_health": {"concerns": ["anxiety", "low_mood"], "impact": "severe", "duration": "over_6_months"},
    "emergency": {"risks": ["suicide_plan_or_intent"], "concerns": ["low_mood", "speech_sounds"]},
    "no_consent": {"consent__basis": "none", "concerns": ["anxiety", "speech_sounds", "parenting"]},
}
SERVICES = ["safeguarding", "semh", "counselling", "salt", "early_help"]
PATHWAYS = {"safeguarding": "mash", "semh": "specialist", "counselling": "school_counselling",
            "salt": "community", "early_help": "family_support"}
PRIORITIES = ["emergency", "urgent", "soon", "routine"]
DECODE = {"referral.submitted": ReferralSubmitted, "referral.redirected": ReferralRedirected,
          "referral.override_requested": OverrideRequested, "child.merged": ChildMerged,
          "child.unmerged": ChildUnmerged}


@dataclass
class System:
    """Intake, triage and the worklists on one database; `deliver` plays the broker."""

    engine: Engine
    now: Any = NOW
    delivered: set[uuid.UUID] = field(default_factory=set)
    made_while_pending: set[uuid.UUID] = field(default_factory=set)  # requests made while MASH had yet to decide
    released_by_mash: set[uuid.UUID] = field(default_factory=set)  # MASH decided on these itself

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def tick(self) -> Any:
        self.now += timedelta(minutes=7)
        return self.now

    def deliver(self) -> None:
        """Every queued event to its consumers, in order, until nothing is left (each its own transaction)."""
        while True:
            with self.session() as s:
                rows = [r for r in s.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all()
                        if r.id not in self.delivered]
            if not rows:
                return
            for row in rows:
                self.delivered.add(row.id)
                with self.session() as s:
                    self.consume(s, row.topic, json.loads(row.payload))
                    s.commit()

    def consume(self, s: Session, topic: str, payload: dict[str, Any]) -> None:
        now = self.tick()
        kind = payload["event_type"]
        if topic == TOPIC_OUTCOMES:
            outcome = ServiceOutcome.model_validate(payload)
            intake.apply_outcome(s, outcome, now)
            return
        event = DECODE[kind].model_validate(payload)
        if isinstance(event, ChildMerged):
            assert topic == TOPIC_CHILDREN
            worklists.follow_merge(s, event, now)
        elif isinstance(event, ChildUnmerged):
            worklists.follow_unmerge(s, event, now)
        elif isinstance(event, OverrideRequested):
            decided, created, withdrawn = apply_override(event, RULESET, now=now)
            intake.apply_override(s, decided, now)
            self.receive(s, created, now)
            for outcome in withdrawn:
                worklists.withdraw(s, outcome, now)
                intake.apply_outcome(s, outcome, now)
        else:
            assert topic == TOPIC_SUBMITTED
            made = triage_redirect if isinstance(event, ReferralRedirected) else triage
            decision, created = made(event, RULESET, now=now)  # type: ignore[arg-type]
            intake.apply_decision(s, decision, now)
            self.receive(s, created, now)

    def receive(self, s: Session, created: list[ServiceRequestCreated], now: Any) -> None:
        for request in created:
            if pending_in_worklists(s, request.child_id):
                self.made_while_pending.add(request.service_request_id)
            worklists.receive(s, request, now)


def pending_in_worklists(s: Session, child_id: uuid.UUID) -> bool:
    """MASH has yet to decide about the child, by the worklists' own rows (what the services can see)."""
    items = s.exec(select(WorklistItem).where(WorklistItem.child_id == child_id)).all()
    if any(i.status == RequestStatus.created and i.held for i in items):
        return True  # MASH has yet to release or decline one
    # MASH's own request waiting in a referral where nothing was held for it to decide on
    decided_on = {i.referral_id for i in items if i.service != "safeguarding" and not exempt(i)}
    return any(i.service == "safeguarding" and i.status == RequestStatus.created and i.referral_id not in decided_on
               for i in items)


def exempt(item: WorklistItem) -> bool:
    """Goes to its service at once whatever MASH decides: the ruleset's `hold` exemptions (MASH, an emergency)."""
    hold = RULESET.source.hold
    return item.service in hold.exempt_services or item.priority in hold.exempt_priorities


def referral(child: int, kind: str) -> Referral:
    given, family, born, nhs = CHILDREN[child]
    body = referral_body(child__given_name=given, child__family_name=family, child__date_of_birth=born,
                         child__nhs_number=sample_nhs_number(nhs), parents_carers=PARENTS, **KINDS[kind])
    if born < "2010":
        body["young_person_contact"] = OWN_CONTACT
    return Referral.model_validate(body, context={"as_of": NOW.astimezone(LONDON).date()})


# --- what people do: each step picks its target among what exists, by index --------------------------------

Step = tuple[str, int, int, int]
STEPS = st.tuples(
    st.sampled_from(["refer", "refer", "override", "redirect", "mash", "accept", "complete", "merge", "unmerge"]),
    st.integers(0, 50), st.integers(0, 50), st.integers(0, 50),
)


def pick(items: list[Any], n: int) -> Any:
    return items[n % len(items)] if items else None


def act(system: System, step: Step) -> None:
    what, a, b, c = step
    now = system.tick()
    with system.session() as s:
        referrals = list(s.exec(select(ReferralRecord).order_by(col(ReferralRecord.submitted_at))).all())
        items = list(s.exec(select(WorklistItem).order_by(col(WorklistItem.received_at))).all())
        try:
            if what == "refer":
                intake.submit(s, referral(a % len(CHILDREN), pick(list(KINDS), b)), by=REFERRER, now=now)
            elif what == "override" and referrals:
                record = pick(referrals, a)
                open_items = [i for i in items if i.referral_id == record.id and i.status == RequestStatus.created]
                change = pick([add_route(b, c), change_priority(pick(open_items, b), c),
                               {"kind": "withdraw_route", "service_request_id": str(getattr(pick(open_items, c), "id",
                                                                                             uuid.uuid4()))}], a + b)
                if change is not None:
                    decided = PersonsDecision.model_validate({"rationale": "The front door knows more about this "
                                                              "child than the referral says.", "changes": [change]})
                    intake.decide(s, record.id, decided, by=FRONT_DOOR, now=now)
            elif what == "redirect" and items:
                item = pick(items, a)
                target = pick([x for x in SERVICES if x != item.service], b)
                worklists.act(s, item.service, item.id, "redirect", by=f"{item.service}-worker", now=now,
                              reason="Better met by another service.", redirect_to=target)
            elif what == "mash" and referrals:
                record = pick(referrals, a)
                mash = [i for i in items if i.referral_id == record.id and i.service == "safeguarding"]
                if b % 3 == 0 and mash:
                    worklists.act(s, "safeguarding", mash[0].id, "accept", by="mash-worker", now=now)
                else:
                    system.released_by_mash |= {i.id for i in worklists.held_items(s, record.id)}
                    worklists.decide_held(s, record.id, "release" if b % 3 == 1 else "decline", by="mash-worker",
                                          now=now, reason="MASH has decided.")
            elif what == "accept" and items:
                item = pick(items, a)
                worklists.act(s, item.service, item.id, "accept", by=f"{item.service}-worker", now=now)
            elif what == "complete" and referrals:
                waiting = [r for r in referrals if r.outcome == "needs_information"]
                if waiting:
                    intake.complete_missing(s, pick(waiting, a).id,
                                            {"consent": {"basis": "parent_with_pr", "child_aware": True}},
                                            by=REFERRER, now=now)
            elif what == "merge":
                ids = sorted({r.child_id for r in referrals}, key=str)
                if len(ids) > 1:
                    survivor, merged = pick(ids, a), pick(ids, b)
                    children.merge(s, survivor, merged, reason="The same child.", by=FRONT_DOOR, now=now)
            elif what == "unmerge":
                merges = list(s.exec(select(children.ChildMerge).where(col(children.ChildMerge.undone_at).is_(None))
                                     .order_by(col(children.ChildMerge.at).desc())).all())
                if merges:
                    children.undo(s, merges[0].id, by=FRONT_DOOR, now=now)
            s.commit()
        except DomainError:  # refused as a person would be told (a 404, 409 or 422): nothing changed
            s.rollback()
    system.deliver()


def add_route(b: int, c: int) -> dict[str, Any]:
    service = SERVICES[1 + b % 4]
    return {"kind": "add_route", "service": service, "pathway": PATHWAYS[service], "priority": PRIORITIES[c % 4]}


def change_priority(item: WorklistItem | None, c: int) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"kind": "change_priority", "service_request_id": str(item.id), "priority": PRIORITIES[c % 4]}


def check(system: System) -> None:
    """Every request made while MASH had yet to decide about its child, still waiting for MASH's decision on
    it, shows its worker nothing of the child (an emergency, and MASH's own request, are exempt)."""
    with system.session() as s:
        for request_id in system.made_while_pending - system.released_by_mash:
            item = s.get(WorklistItem, request_id)
            assert item is not None
            if exempt(item) or item.status != RequestStatus.created:
                continue
            if not pending_in_worklists(s, item.child_id) and not item.held:
                continue  # MASH has decided about the child since, and released it
            shown = views.view(s, item.service, item.id, system.now)
            assert item.held and "child" not in shown and "details" not in shown, (item.service, item.priority)
            assert not [w for w in CONTACT_WORDS if w in json.dumps(shown)], (item.service, item.priority)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("holds") / "frontdoor.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.mark.property
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(steps=st.lists(STEPS, min_size=2, max_size=12))
def test_no_path_lets_another_service_read_a_child_while_mash_has_yet_to_decide(template: Path,
                                                                                steps: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frontdoor.db"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            system = System(engine)
            act(system, ("refer", 0, 0, 0))  # a child with a safeguarding disclosure: MASH has to decide
            with system.session() as s:  # MASH's own request carries who to contact: there is something to hide
                assert any("Parentname" in json.dumps(i.details) for i in s.exec(select(WorklistItem)).all())
            for step in steps:
                note(f"step {step}")
                act(system, step)
                check(system)
        finally:
            engine.dispose()
