"""The portal's pages for adding a person to the register directly (issue 14, part 1), with the DSR API stood in
for: the form posts the API's body, check answers, both confirmations, the API's 422 shown on the form with every
problem linked to its field, "People I have added", the agenda's filters, and who may see each page."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from schemas.messages import sentence
from tests.handlers import portal_standins
from tests.handlers.codes_shown import codes_shown
from tests.handlers.portal_standins import (
    StandIn,
    as_the_service_answers,
    assert_refused,
    page,
    problems,
    sign_in,
)

portal, standin = portal_standins.portal, portal_standins.standin  # the fixtures

ENTRY = "0d7e6a52-9a51-4a7e-8a55-3c1b9e0f2a11"
FORM = {"nhs_number": "999 000 0018", "given_name": "Dev", "family_name": "Demo-Adult", "dob-day": "4",
        "dob-month": "7", "dob-year": "1986", "diagnosis": "both",
        "risks": ["mh_admission_risk", "placement_breakdown"],
        "has_ehcp": "no", "consent": "best_interests", "consent_given_by": "Care coordinator",
        "referring_agency": "Adult social care", "referrer_contact": "asc@example.gov.uk",
        "reason": "His supported living placement is breaking down and the crisis team has been called twice.",
        "current_setting": "community"}
BODY = {"nhs_number": "9990000018", "given_name": "Dev", "family_name": "Demo-Adult", "date_of_birth": "1986-07-04",
        "diagnoses": ["autism", "learning_disability"], "risks": ["mh_admission_risk", "placement_breakdown"],
        "has_ehcp": False, "consent": "best_interests", "consent_given_by": "Care coordinator",
        "referring_agency": "Adult social care", "referrer_contact": "asc@example.gov.uk",
        "reason": "His supported living placement is breaking down and the crisis team has been called twice.",
        "current_setting": "community"}
# One entry as GET /dsr/entries/{id} answers it (schemas.views.dsr.EntryView), before each test's own fields.
ENTRY_VIEW = {"entry_id": ENTRY, "child_id": "5f0e4b7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b", "name": "Dev Demo-Adult",
              "age": 40, "review_track": "CTR", "status": "pending_review", "rating": None, "rating_since": None,
              "suggested_rating": None, "escalation_suggested": False, "next_review_due": None, "overdue": False,
              "keyworker": None, "lead_professional": None, "closed_reason": None, "age_band": "26+",
              "source": "direct", "timeline": [], "rating_history": [], "reviews": [], "actions": [], "tasks": [],
              "consents": []}


async def fill_in(portal: httpx.AsyncClient, form: dict[str, object]) -> None:
    html, token = await page(portal, "/dsr/add")
    assert 'name="nhs_number"' in html and "Required for adults" in html
    saved = await portal.post("/dsr/add", data=form | {"csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"] == "/dsr/add/check"


@pytest.mark.parametrize("user", ["asc-practitioner", "dsr-chair"])
async def test_adding_a_person_sends_the_api_its_body_and_confirms(portal: httpx.AsyncClient, standin: StandIn,
                                                                    user: str) -> None:
    await sign_in(portal, user)
    await fill_in(portal, FORM)
    check, token = await page(portal, "/dsr/add/check")
    for shown in ("999 000 0018", "Dev Demo-Adult", "4 July 1986", "Autism and a learning disability",
                  "Placement breakdown", "Adult social care",
                  "A best interests decision recorded", "In the community"):
        assert shown.lower() in check.lower(), shown
    assert check.count(">Change<") == 12 and 'href="/dsr/add#date_of_birth"' in check
    standin.on("POST", "/dsr/entries", 201, {"entry_id": ENTRY, "outcome": "created", "review_track": "CTR",
                                             "age_band": "26+", "status": "pending_review", "suggested_rating": None,
                                             "escalation_suggested": False})
    sent = await portal.post("/dsr/add/check", data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/dsr/add/done?")
    assert standin.sent("POST", "/dsr/entries") == [BODY]
    assert "Dev" not in sent.headers["location"] and "9990000018" not in sent.headers["location"]
    done = await portal.get(sent.headers["location"])
    assert done.status_code == 200 and "Added to the register" in done.text
    assert "Care and treatment review (CTR)" in done.text and "Waiting for a first review" in done.text
    entry_href = f"/dsr/{ENTRY}" if user == "dsr-chair" else f"/dsr/entries/{ENTRY}"
    assert f'href="{entry_href}"' in done.text
    assert (await portal.get("/dsr/add/check")).headers["location"] == "/dsr/add"  # the draft is gone


async def test_a_person_already_on_the_register_is_never_shown_to_a_referrer(portal: httpx.AsyncClient,
                                                                             standin: StandIn) -> None:
    await sign_in(portal, "asc-practitioner")
    await fill_in(portal, FORM)
    _, token = await page(portal, "/dsr/add/check")
    standin.on("POST", "/dsr/entries", 200, {"entry_id": ENTRY, "outcome": "noted", "review_track": "CTR",
                                             "age_band": "26+", "status": "pending_review", "suggested_rating": None,
                                             "escalation_suggested": False})  # as the adder is told: still not shown
    sent = await portal.post("/dsr/add/check", data={"csrf_token": token})
    assert ENTRY not in sent.headers["location"]
    done = await portal.get(sent.headers["location"])
    assert "This person is already on the register" in done.text
    assert "Your information has been added to their entry for the meeting" in done.text
    assert ENTRY not in done.text and "See the entry" not in done.text


async def test_the_api_s_422_shows_the_form_again_with_every_problem_at_its_field(portal: httpx.AsyncClient,
                                                                                   standin: StandIn) -> None:
    await sign_in(portal, "asc-practitioner")
    await fill_in(portal, FORM)  # nothing the portal's check finds (test_portal_dsr_pages.py): the API refuses it
    _, token = await page(portal, "/dsr/add/check")
    standin.on("POST", "/dsr/entries", 422, problems("nhs_number", "date_of_birth", "diagnoses.0", "risks",
                                                     "consent_given_by"))
    shown = await portal.post("/dsr/add/check", data={"csrf_token": token})
    assert shown.status_code == 422 and "There is a problem" in shown.text
    body = standin.sent("POST", "/dsr/entries")[0]
    assert body == BODY
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', shown.text, re.DOTALL).group(1)  # type: ignore[union-attr]
    hrefs = re.findall(r'href="([^"]+)"', summary)
    assert hrefs == ["#nhs_number", "#date_of_birth", "#diagnosis", "#risks", "#consent_given_by"]
    for target in hrefs:  # each link reaches an input on the page, with its message beside it
        assert f'id="{target[1:]}"' in shown.text
    for field in ("nhs_number", "date_of_birth", "diagnoses.0", "risks", "consent_given_by"):
        said = sentence(field, "missing", form="dsr_add")
        assert unescape(shown.text).count(said) == 2, field  # in the summary and at the field, never the service's
    assert 'value="Demo-Adult"' in shown.text  # nothing typed is lost


async def test_people_i_have_added_and_one_of_them(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "asc-practitioner")
    standin.on("GET", "/dsr/entries", 200, [{"entry_id": ENTRY, "name": "Dev Demo-Adult", "date_of_birth": "1986-07-04",
                                            "age_band": "26+", "status": "pending_review",
                                            "created_at": "2026-11-20T10:00:00Z", "source": "direct"}])
    listed, _ = await page(portal, "/dsr/entries")
    assert f'href="/dsr/entries/{ENTRY}"' in listed and "Dev Demo-Adult" in listed and "26+" in listed
    standin.on("GET", f"/dsr/entries/{ENTRY}", 200, ENTRY_VIEW | {
        "entry_id": ENTRY, "name": "Dev Demo-Adult", "status": "pending_review", "nhs_number": "9990000018",
        "date_of_birth": "1986-07-04", "age_band": "26+", "review_track": "CTR", "source": "direct",
        "referring_agency": "Adult social care", "diagnoses": ["autism"], "risks": ["placement_breakdown"],
        "current_setting": "inpatient", "reason": "Admitted last week after a crisis at home.",
        "added_by": "asc-practitioner"})
    one, _ = await page(portal, f"/dsr/entries/{ENTRY}")
    for shown in ("999 000 0018", "Adult social care", "Autism", "Placement breakdown", "In hospital (inpatient)",
                  "Admitted last week"):
        assert shown in one, shown
    standin.on("GET", f"/dsr/entries/{ENTRY}", 404, {"title": "Not found"})
    other = await portal.get(f"/dsr/entries/{ENTRY}")
    assert other.status_code == 404 and "There is no entry you added" in other.text


@pytest.mark.parametrize(("user", "path"), [
    *((u, p) for u in ("senco-seaview", "worker-salt", "front-door-hub", "commissioning", "fd-admin")
      for p in ("/dsr/add", "/dsr/add/check", "/dsr/entries", f"/dsr/entries/{ENTRY}")),
    ("dsr-chair", "/dsr/entries"), ("asc-practitioner", "/dsr"), ("asc-practitioner", f"/dsr/{ENTRY}"),
    ("asc-practitioner", "/dsr-register.csv"),
])
async def test_other_roles_are_refused(portal: httpx.AsyncClient, standin: StandIn, user: str, path: str) -> None:
    await assert_refused(portal, standin, user, path)


async def test_the_agenda_filters_by_age_band_and_track(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "dsr-chair")
    standin.on("GET", "/dsr/agenda", 200, [{"entry_id": ENTRY, "name": "Dev Demo-Adult", "age": 40, "age_band": "26+",
                                           "source": "direct", "review_track": "CTR", "rating": None,
                                           "suggested_rating": "amber", "escalation_suggested": False,
                                           "status": "pending_review", "next_review_due": None, "overdue": False,
                                           "open_tasks": 0}])
    html, _ = await page(portal, "/dsr?age_band=26%2B&track=CTR")
    agenda = [params for m, p, _, params in standin.calls if p == "/dsr/agenda"]
    assert agenda == [{"age_band": "26+", "track": "CTR"}]
    assert '<form method="get" action="/dsr"' in html and '<option value="26+" selected>' in html
    assert "Added directly" in html and ">26+<" in html
    counts = [params for m, p, _, params in standin.calls if p == "/dsr/counts"]
    assert counts == [{"weeks": "12", "age_band": "26+"}]  # the chart follows the age band
    assert "over the last 12 weeks, aged 26+" in html and 'href="/dsr-counts.csv"' in html
    await page(portal, "/dsr?age_band=40-50&track=")  # anything else: the whole agenda
    assert [params for m, p, _, params in standin.calls if p == "/dsr/agenda"][-1] == {}
    assert [params for m, p, _, params in standin.calls if p == "/dsr/counts"][-1] == {"weeks": "12"}


async def test_the_weekly_counts_by_age_band_download(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "dsr-chair")
    standin.on("GET", "/dsr/counts.csv", 200, "week_ending,age_band,red,amber,green,blue,unrated\r\n")
    got = await portal.get("/dsr-counts.csv")
    assert got.status_code == 200 and got.text.startswith("week_ending,age_band")
    assert got.headers["content-disposition"] == 'attachment; filename="dynamic-support-register-counts.csv"'


async def test_the_panel_s_entry_page_shows_a_direct_entry_s_details(portal: httpx.AsyncClient,
                                                                     standin: StandIn) -> None:
    await sign_in(portal, "dsr-chair")
    standin.on("GET", f"/dsr/entries/{ENTRY}", 200, ENTRY_VIEW | {
        "entry_id": ENTRY, "name": "Dev Demo-Adult", "status": "pending_review", "rating": None, "age": 40,
        "age_band": "26+", "review_track": "CTR", "source": "direct",
        "referring_agency": "Community mental health team",
        "diagnoses": ["learning_disability"], "risks": ["mh_inpatient_current"], "current_setting": "inpatient",
        "reason": "Admitted last week after a crisis at home.", "timeline": [], "tasks": [], "rating_history": []})
    html, _ = await page(portal, f"/dsr/{ENTRY}")
    for shown in ("Added directly", "Community mental health team", "Learning disability", "Admitted last week",
                  "26+"):
        assert shown in html, shown


def test_a_stand_in_the_register_would_not_answer_fails() -> None:
    """The stand-ins are built from the register's models (issue 21, item 4): a renamed, missing or extra key
    fails, so a change of a view's shape fails the portal's tests."""
    agenda_entry = {"entry_id": ENTRY, "name": "Dev Demo-Adult", "age": 40, "age_band": "26+", "source": "direct",
                    "review_track": "CTR", "rating": None, "suggested_rating": None, "escalation_suggested": False,
                    "status": "pending_review", "next_review_due": None, "overdue": False, "open_tasks": 0}
    assert as_the_service_answers("GET", "/dsr/agenda", [agenda_entry]) == [agenda_entry]
    renamed = {("tasks_open" if k == "open_tasks" else k): v for k, v in agenda_entry.items()}
    for wrong in (renamed, agenda_entry | {"rating": "purple"}, {k: v for k, v in agenda_entry.items() if k != "name"}):
        with pytest.raises(AssertionError, match="GET /dsr/agenda"):
            StandIn().on("GET", "/dsr/agenda", 200, [wrong])
    StandIn().on("GET", "/dsr/agenda", 503, {"title": "not a view"})  # a refusal is not a view: left as it is


async def test_the_agenda_s_weekly_chart_and_counts_show_dates_in_words(portal: httpx.AsyncClient,
                                                                        standin: StandIn) -> None:
    """Issue 22, item 11: the chart's rows and the counts table name each week as a person reads a date."""
    await sign_in(portal, "dsr-chair")
    standin.on("GET", "/dsr/counts", 200, [{"week_ending": "2026-09-27", "red": 1, "amber": 2, "green": 0, "blue": 0,
                                           "unrated": 1}])
    html, _ = await page(portal, "/dsr")
    assert "27 September 2026" in html
    assert codes_shown(html) == []
