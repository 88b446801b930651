"""Merges people can trust (issue 23, item 6), in the portal with the real intake behind it: a pair shows both
records side by side; "same child" asks to confirm on a page with the record kept and the one merged into it (Back
keeps the answers; nothing is merged until confirmed); the merge history names who, why and when, offers "Undo"
(which asks to confirm too) and says why a merge cannot be undone."""

from __future__ import annotations

import re

import httpx
from sqlmodel import Session, select

from services.intake.tables import ChildMerge
from tests.handlers import test_portal_need_to_know
from tests.handlers.test_children import with_flags_and_requests
from tests.handlers.test_portal_chase import text
from tests.handlers.test_portal_error_sentences import post
from tests.handlers.test_portal_need_to_know import sign_in

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process
REASON = "The school confirmed Robni is a typing slip for Robin"


async def test_merge_asks_to_confirm_with_both_records_then_history_and_undo(portal: httpx.AsyncClient,
                                                                             session: Session) -> None:
    s, m, _ = with_flags_and_requests(session)
    await sign_in(portal, "front-door-hub")
    pairs = await portal.get("/front-door/duplicates")
    shown = text(pairs.text)
    for words in ("Robin Historytest", "Robni Historytest", "Example Academy", "SS7", "A Referrer", "Anxiety",
                  "Speech and language therapy (community): Accepted", "Merge history"):
        assert words in shown, words
    assert 'class="govuk-table app-table--responsive"' in pairs.text  # reflows into cards when narrow
    pair = f"{min(s.child_id, m.child_id)}:{max(s.child_id, m.child_id)}"
    answers = {"pair": pair, "survivor": str(s.child_id), "reason": REASON}
    check = await post(portal, "/front-door/duplicates/merge", "/front-door/duplicates", answers)
    assert check.status_code == 200
    page = text(check.text)
    assert "Check before you merge these records" in page and REASON in page
    assert re.search(r"Record you keep.*Record merged into it", page)
    assert page.index("Robin Historytest") < page.index("Robni Historytest")  # the record kept first
    assert session.exec(select(ChildMerge)).all() == []  # nothing merged yet
    back = await portal.get("/front-door/duplicates?back=1")  # Back keeps what was chosen and typed
    assert REASON in back.text and f'value="{s.child_id}" checked' in back.text

    done = await post(portal, "/front-door/duplicates/merge", "/front-door/duplicates", answers | {"confirmed": "yes"})
    assert done.status_code == 303 and "merged=" in done.headers["location"]
    [merge] = session.exec(select(ChildMerge)).all()
    assert (merge.survivor_id, merge.merged_id, merge.by_name, merge.reason) == (
        s.child_id, m.child_id, "Dana Wright", REASON)
    history = await portal.get("/front-door/merges")
    row = text(history.text)
    for words in ("Robin Historytest (kept", "Robni Historytest (merged into it", "Dana Wright", REASON,
                  "Undo the merge of Robni Historytest into Robin Historytest"):
        assert words in row, words
    assert str(s.child_id) not in row and "fd-" not in row  # names, not ids

    undo = f"/front-door/duplicates/merges/{merge.id}/undo"
    sure = await portal.get(undo)
    assert "Are you sure you want to undo this merge?" in text(sure.text)
    undone = await post(portal, undo, undo, {})
    assert (undone.status_code, undone.headers["location"]) == (303, "/front-door/merges?done=undone")
    after = text((await portal.get("/front-door/merges?done=undone")).text)
    assert "The merge was undone" in after
    assert re.search(r"Cannot be undone\. It was undone on \d+ \w+ \d{4} by Dana Wright\.", after), after
    again = await portal.get(undo)
    assert "This merge cannot be undone" in text(again.text) and "Yes, undo the merge" not in again.text
