"""Who is working on it, in the portal (in-process, with intake and the worklists behind it): the queue and a worklist
say who has each item and filter "Assigned to me" / "Unassigned" without JavaScript; on an item, Assign to me, Give to
a colleague and Release; taking an item someone else has goes through "Are you sure" naming them; My work hands
everything over at once."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from tests.handlers.test_front_door_queue import decide
from tests.handlers.test_portal_need_to_know import portal, sign_in  # noqa: F401 - the fixture
from tests.handlers.test_worklists import put

__all__ = ["portal"]


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def post(client: httpx.AsyncClient, page: str, path: str, **form: str | list[str]) -> httpx.Response:
    return await client.post(path, data={"csrf_token": csrf((await client.get(page)).text), **form})


async def as_user(portal: httpx.AsyncClient, user: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=portal._transport, base_url=str(portal.base_url))
    await sign_in(client, user)
    return client


def rows_of(page: str, table_id: str = "queue") -> list[str]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)) for r in table.split("<tr")[2:]]


async def test_two_practitioners_one_referral(portal: httpx.AsyncClient, session: Session, engine: Engine) -> None:
    record = decide(session, "manual_review")
    page = f"/front-door/referrals/{record.id}"
    dana, sol = await as_user(portal, "front-door-hub"), await as_user(portal, "front-door-sol")
    await sol.get("/front-door")  # Sol has used the service: one of the team's people
    opened = await dana.get(page)
    assert "Nobody yet: it is unassigned." in opened.text and 'id="pick-up"' in opened.text
    picked = await post(dana, page, f"{page}/assignment", action="pick_up")
    assert picked.status_code == 303 and picked.headers["location"].startswith(page)
    shown = await dana.get(picked.headers["location"])
    assert "You are now working on this." in shown.text and "You are working on this" in shown.text
    queue = await dana.get("/front-door")
    assert any("Dana Wright (you)" in r for r in rows_of(queue.text))

    # Sol opens it: Dana has it; Assign to me is not offered, taking it over asks first
    seen = await sol.get(page)
    assert "<strong>Dana Wright</strong> is working on this" in seen.text and 'id="pick-up"' not in seen.text
    confirm = await sol.get(f"{page}/take-over")
    assert confirm.status_code == 200 and "Are you sure you want to take over this referral?" in confirm.text
    assert "<strong>Dana Wright</strong> is working on it" in confirm.text
    # a stale "Assign to me" (the page was open before Dana took it): the same question, not a silent take-over
    stale = await post(sol, page, f"{page}/assignment", action="pick_up")
    assert stale.status_code == 409 and "Are you sure you want to take over" in stale.text
    taken = await post(sol, f"{page}/take-over", f"{page}/assignment", action="pick_up", confirm="yes",
                       expected_holder="front-door-hub")
    assert taken.status_code == 303
    assert "You have taken this over." in (await sol.get(taken.headers["location"])).text
    # Dana confirms too late: her confirmation named herself... the page asks again, saying it changed
    late = await post(dana, page, f"{page}/assignment", action="pick_up", confirm="yes",
                      expected_holder="someone-else")
    assert late.status_code == 409 and "changed who is working on this since you looked" in late.text

    mine = await sol.get("/front-door?assigned=me")
    assert [r for r in rows_of(mine.text) if "Sol Ahmed (you)" in r]
    assert str(record.id)[:8].upper() not in (await sol.get("/front-door?assigned=nobody")).text


async def test_give_release_and_hand_over(portal: httpx.AsyncClient, session: Session) -> None:
    first = decide(session, "manual_review", child__nhs_number=..., child__given_name="Alex")
    second = decide(session, "out_of_scope", child__nhs_number=..., child__given_name="Blake")
    dana, sol = await as_user(portal, "front-door-hub"), await as_user(portal, "front-door-sol")
    await sol.get("/front-door")
    page = f"/front-door/referrals/{first.id}"
    give = await dana.get(f"{page}/give")
    assert "Who do you want to give this referral to?" in give.text and "Sol Ahmed" in give.text
    empty = await post(dana, f"{page}/give", f"{page}/assignment", action="give")
    assert empty.status_code == 200 and "Select the colleague to give it to" in empty.text
    given = await post(dana, f"{page}/give", f"{page}/assignment", action="give", to="front-door-sol")
    assert given.status_code == 303
    assert "<strong>Sol Ahmed</strong> is working on this" in (await dana.get(page)).text
    released = await post(sol, page, f"{page}/assignment", action="release")
    assert "Released." in (await sol.get(released.headers["location"])).text

    for record in (first, second):
        await post(dana, f"/front-door/referrals/{record.id}", f"/front-door/referrals/{record.id}/assignment",
                   action="pick_up")
    work = await dana.get("/front-door/my-work")
    assert work.status_code == 200 and "You are working on 2 items" in work.text
    assert "govuk-error-message" not in work.text  # no error shown before one is made
    unticked = await post(dana, "/front-door/my-work", "/front-door/my-work", to="front-door-sol")
    assert unticked.status_code == 422 and "Select the work to hand over" in unticked.text
    nobody = await post(dana, "/front-door/my-work", "/front-door/my-work", item=[str(first.id)])
    assert nobody.status_code == 422 and "Select the colleague to give it to" in nobody.text
    handed = await post(dana, "/front-door/my-work", "/front-door/my-work", item=[str(first.id), str(second.id)],
                        to="front-door-sol")
    assert handed.status_code == 303
    after = await dana.get(handed.headers["location"])
    assert "2 items handed over to Sol Ahmed" in after.text and "You are not working on anything" in after.text
    assert "You are working on 2 items" in (await sol.get("/front-door/my-work")).text


async def test_a_worker_filters_the_worklist_to_their_own(portal: httpx.AsyncClient, session: Session) -> None:
    mine, other = put(session, "semh"), put(session, "semh")
    aisha, ben = await as_user(portal, "worker-semh"), await as_user(portal, "worker-semh-2")
    await ben.get("/work/semh")
    page = f"/work/semh/{mine.id}"
    assert 'id="pick-up"' in (await aisha.get(page)).text
    assert (await post(aisha, page, f"{page}/assignment", action="pick_up")).status_code == 303
    listed = await aisha.get("/work/semh?assigned=me")
    assert "Aisha Khan (you)" in listed.text and f"/work/semh/{other.id}" not in listed.text
    unassigned = await aisha.get("/work/semh?assigned=nobody")
    assert "Aisha Khan (you)" not in unassigned.text and f"/work/semh/{other.id}" in unassigned.text
    take = await ben.get(f"{page}/take-over")
    assert "Are you sure you want to take over this request?" in take.text and "Aisha Khan" in take.text
    work = await aisha.get("/work/semh/my-work")
    assert "You are working on 1 item" in work.text and "Ben Carter" in work.text
