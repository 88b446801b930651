"""Merges people can trust (issue 23, item 6), intake's side: a flagged pair shows enough to decide (school, postcode
district, referrers, concerns, referrals and requests with their state), and the merge history lists every merge with
who (a name), why, when and whether it can still be undone, saying why not in words; names, never ids."""

from __future__ import annotations

import json
import uuid

from sqlmodel import Session

from services.common.auth import Principal
from services.intake.children import handlers as children
from services.intake.children import views
from services.intake.referrals import handlers
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import DAY, decided, route, submit
from tests.handlers.test_children import Ref, audits, robin, with_flags_and_requests

DANA = Principal(subject="fd-dana", roles=frozenset({"front_door"}), name="Dana Wright")
KIM = Principal(subject="fd-kim", roles=frozenset({"front_door"}), name="Kim Evans")


def test_a_flagged_pair_shows_what_a_person_needs_to_decide(session: Session) -> None:
    s, m, _ = with_flags_and_requests(session)
    [pair] = views.flagged_pairs(session, DANA)
    shown = {pair["child_a"]["child_id"]: pair["child_a"], pair["child_b"]["child_id"]: pair["child_b"]}
    first, second = shown[str(s.child_id)], shown[str(m.child_id)]
    assert (first["school"], first["postcode_district"]) == ("Example Academy", "SS7")
    assert first["referrers"] == [{"name": "A Referrer", "role": "school_senco", "organisation": "Example Academy"}]
    assert first["concerns"] == ["anxiety", "speech_sounds", "housing"]
    assert sorted((r["service"], r["status"]) for r in first["requests"]) == [("early_help", "created"),
                                                                              ("salt", "accepted")]
    assert [(r["service"], r["status"]) for r in second["requests"]] == [("semh", "created")]


def test_the_merge_history_says_who_why_when_and_whether_undo_is_possible(session: Session) -> None:
    s, m, c = with_flags_and_requests(session)
    first = children.merge(session, s.child_id, m.child_id, reason="Same child: a typo in the name", by=DANA,
                           now=NOW + DAY)
    later = children.merge(session, c.child_id, s.child_id, reason="The school says Ashley is Robin's other name",
                           by=KIM, now=NOW + 2 * DAY)
    session.commit()
    history = views.merge_history(session, DANA)
    assert [h["merge_id"] for h in history] == [str(later.id), str(first.id)]  # newest first
    newest, oldest = history
    assert (newest["by_name"], newest["reason"], newest["at"]) == (
        "Kim Evans", "The school says Ashley is Robin's other name", (NOW + 2 * DAY).isoformat())
    assert (newest["survivor"]["name"], newest["merged"]["name"]) == ("Ashley Other", "Robin Historytest")
    assert (oldest["survivor"]["name"], oldest["merged"]["name"]) == ("Robin Historytest", "Robni Historytest")
    assert newest["undo"] == {"possible": True, "why_not": None}
    assert oldest["undo"] == {"possible": False, "why_not": "The record it was merged into has since been merged "
                              "into Ashley Other's record. Undo that later merge first, then this one."}
    assert oldest["moved"] == {"referrals": 1, "service_requests": 1}
    text = json.dumps(history)
    assert "fd-dana" not in text and "fd-kim" not in text  # names, not login ids
    audited = {a[2] for a in audits(session, "front_door.merges")}
    assert audited == {s.child_id, m.child_id, c.child_id}  # every child the history showed

    children.undo(session, later.id, by=DANA, now=NOW + 3 * DAY)
    session.commit()
    newest, oldest = views.merge_history(session, DANA)
    assert newest["undo"] == {"possible": False, "why_not": "It was undone on 7 March 2026 by Dana Wright."}
    assert newest["undone_at"] == (NOW + 3 * DAY).isoformat() and newest["undone_by_name"] == "Dana Wright"
    assert oldest["undo"] == {"possible": True, "why_not": None}
    assert views.merge_record(session, oldest["merge_id"], DANA) == oldest


def test_a_referral_made_after_a_merge_does_not_stop_its_undo(session: Session) -> None:
    s, m = Ref(robin(session)), Ref(robin(session, "Robni"))
    merge = children.merge(session, s.child_id, m.child_id, reason="Same child: a typo", by=DANA, now=NOW)
    later = submit(session, child__given_name="Robin", child__family_name="Historytest", child__nhs_number=...)
    handlers.apply_decision(session, decided(later, route("salt")), NOW + DAY)
    session.commit()
    [shown] = views.merge_history(session, DANA)
    assert shown["merge_id"] == str(merge.id) and shown["undo"]["possible"] and later.child_id == s.child_id
    assert views.merge_record(session, uuid.uuid4(), DANA) is None
