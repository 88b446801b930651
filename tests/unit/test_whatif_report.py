"""The what-if report's formats (table, CSV, HTML) and its sums over decisions (breaches at the services' actual
acceptance times, the period, each service's workload), read off one small report whose every number is known."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from schemas import ReferralSubmitted, TriageDecision
from services.policy.ruleset import load_ruleset
from services.policy.whatif import Acceptance, WhatIf, Workload, add, compare, html_report, merge

RULES = load_ruleset()


def report(acceptance: Acceptance | None = Acceptance(), **changed: object) -> WhatIf:
    """Four weeks (2 to 29 November), 14 referrals, 3 changed; SALT busier, SEMH gone, counselling new."""
    fields: dict[str, object] = dict(
        baseline="ref 1.0.0", proposed="ref <1.1.0>", referrals=14, first_day=date(2026, 11, 2),
        last_day=date(2026, 11, 29), changed=3, by_class=Counter(route_added=2, priority_up=1),
        examples={"route_added": ["r1", "r2", "r3", "r4"], "priority_up": ["r5"]},
        before={"salt": Workload(3, Counter(routine=2, soon=1)), "semh": Workload(2, Counter(urgent=2))},
        after={"salt": Workload(5, Counter(routine=5)), "counselling": Workload(1, Counter(routine=1))},
        fired_before=Counter({"salt.community": 2, "semh.urgent": 2, "boost.x": 1}),
        fired_after=Counter({"salt.community": 5, "semh.urgent": 2, "counselling.family": 1}),
        apart={"redirected": 2, "overridden": 1}, acceptance=acceptance,
        breached_before=Counter(salt=1), breached_after=Counter(salt=2, counselling=1),
    )
    fields.update(changed)
    return WhatIf(**fields)  # type: ignore[arg-type]


def test_the_table_shows_every_class_service_rule_and_breach() -> None:
    assert report().table().splitlines() == [
        "what-if: ref 1.0.0 -> ref <1.1.0>",
        "14 referrals from 2026-11-02 to 2026-11-29 (4.0 weeks); 3 decisions change",
        "",
        "change             referrals  examples",
        "outcome_changed            0  ",
        "route_added                2  r1 r2 r3",  # three examples at most
        "route_removed              0  ",
        "pathway_changed            0  ",
        "priority_up                1  r5",
        "priority_down              0  ",
        "due_date_moved             0  ",
        "held_changed               0  ",
        "dsr_changed                0  ",
        "missing_changed            0  ",
        "",
        "service         before   after  /wk before  /wk after  by priority",
        "counselling          0       1         0.0        0.2  routine 0->1",
        "salt                 3       5         0.8        1.2  routine 2->5, soon 1->0",
        "semh                 2       0         0.5        0.0  urgent 2->0",
        "",
        "past their due date at the services' actual acceptance times (before -> after): counselling 0->1, salt 1->2,"
        " semh 0->0",
        "",
        "rule                                      before   after",
        "salt.community                                 2       5",  # the largest change first, then by id
        "boost.x                                        1       0",
        "counselling.family                             0       1",
        "",
        "reported apart (a person's decision, not replayed): overridden 1, redirected 2",
    ]


def test_the_table_without_breaches_moved_rules_or_reports_apart() -> None:
    quiet = report(acceptance=None, fired_after=Counter({"salt.community": 2, "semh.urgent": 2, "boost.x": 1}),
                   apart={})
    lines = quiet.table().splitlines()
    assert not any("past their due date" in line for line in lines)
    assert lines[-3:] == ["", "rule                                      before   after",
                          "(every rule fires as often as before)"]


def test_the_csv_is_one_table_of_before_and_after() -> None:
    assert report().csv().splitlines() == [
        "section,key,detail,before,after",
        "summary,referrals,,14,14",
        "summary,changed,,0,3",
        "change,outcome_changed,,0,0",
        "change,route_added,r1 r2 r3 r4,0,2",
        "change,route_removed,,0,0",
        "change,pathway_changed,,0,0",
        "change,priority_up,r5,0,1",
        "change,priority_down,,0,0",
        "change,due_date_moved,,0,0",
        "change,held_changed,,0,0",
        "change,dsr_changed,,0,0",
        "change,missing_changed,,0,0",
        *[f"service,{s},{k},{b},{a}" for s, rows in [
            ("counselling", [("total", 0, 1), ("per_week", 0.0, 0.25), ("routine", 0, 1), ("soon", 0, 0),
                             ("urgent", 0, 0), ("emergency", 0, 0), ("breached", 0, 1)]),
            ("salt", [("total", 3, 5), ("per_week", 0.75, 1.25), ("routine", 2, 5), ("soon", 1, 0), ("urgent", 0, 0),
                      ("emergency", 0, 0), ("breached", 1, 2)]),
            ("semh", [("total", 2, 0), ("per_week", 0.5, 0.0), ("routine", 0, 0), ("soon", 0, 0), ("urgent", 2, 0),
                      ("emergency", 0, 0), ("breached", 0, 0)]),
        ] for k, b, a in rows],
        "rule,salt.community,,2,5",
        "rule,boost.x,,1,0",
        "rule,counselling.family,,0,1",
        "apart,overridden,,1,1",
        "apart,redirected,,2,2",
    ]
    assert "breached" not in report(acceptance=None).csv()
    assert "\r" not in report().csv()  # one newline a row, as the other formats
    three_weeks = report(first_day=date(2026, 11, 1), last_day=date(2026, 11, 21)).csv().splitlines()
    assert "service,salt,per_week,1.0,1.67" in three_weeks  # 3 and 5 in three weeks, to two places


def test_the_html_report_is_escaped_tables() -> None:
    page = html_report(report())
    head = ['<!doctype html>', '<html lang="en"><head><meta charset="utf-8">',
            "<title>What-if: ref &lt;1.1.0&gt;</title></head><body><main>",
            "<h1>What-if: ref 1.0.0 to ref &lt;1.1.0&gt;</h1>",
            "<p>14 referrals from 2026-11-02 to 2026-11-29 (4.0 weeks): 3 decisions change.</p>"]
    lines = page.splitlines()
    assert lines[:5] == head
    assert lines[-1] == "</main></body></html>" and page.endswith("\n")

    def row(*cells: object) -> str:
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def table(caption: str, head: list[str], rows: list[str]) -> str:
        th = "".join(f'<th scope="col">{h}</th>' for h in head)
        return f"<table><caption>{caption}</caption><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    classes = [row("outcome_changed", 0, ""), row("route_added", 2, "r1 r2 r3 r4"), row("route_removed", 0, ""),
               row("pathway_changed", 0, ""), row("priority_up", 1, "r5"), row("priority_down", 0, ""),
               row("due_date_moved", 0, ""), row("held_changed", 0, ""), row("dsr_changed", 0, ""),
               row("missing_changed", 0, "")]
    workload = [row("counselling", 0, 1, 0.0, 0.25, "0/1", "0/0", "0/0", "0/0", "0/1"),
                row("salt", 3, 5, 0.75, 1.25, "2/5", "1/0", "0/0", "0/0", "1/2"),
                row("semh", 2, 0, 0.5, 0.0, "0/0", "0/0", "2/0", "0/0", "0/0")]
    assert lines[5:-1] == [
        table("Decisions that change, by class", ["Change", "Referrals", "Example referral ids"], classes),
        table("Workload per service", ["Service", "Before", "After", "Per week before", "Per week after",
                                       "routine before/after", "soon before/after", "urgent before/after",
                                       "emergency before/after", "Past due before/after"], workload),
        table("Rules that fire more or less often", ["Rule", "Before", "After"],
              [row("salt.community", 2, 5), row("boost.x", 1, 0), row("counselling.family", 0, 1)]),
        table("Reported apart (a person&#x27;s decision, not replayed)", ["What", "Referrals"],
              [row("overridden", 1), row("redirected", 2)]),
    ]
    assert "<td>0/1</td></tr>" not in html_report(report(acceptance=None))
    assert "<td>0/0</td><td>-</td></tr>" in html_report(report(acceptance=None))


@pytest.mark.parametrize(("first", "last", "weeks"), [
    (None, None, 1.0), (date(2026, 11, 2), None, 1.0), (date(2026, 11, 2), date(2026, 11, 2), 1.0),
    (date(2026, 11, 2), date(2026, 11, 15), 2.0), (date(2026, 11, 2), date(2026, 11, 7), 1.0),
    (date(2026, 11, 2), date(2026, 11, 16), 15 / 7),
])
def test_a_period_counts_its_weeks_and_never_less_than_one(first: date | None, last: date | None,
                                                           weeks: float) -> None:
    r = report(first_day=first, last_day=last)
    assert r.weeks == pytest.approx(weeks)
    assert r.as_json()["period"] == {"first_day": first and first.isoformat(), "last_day": last and last.isoformat(),
                                     "weeks": round(weeks, 2)}


def test_the_json_workload_is_per_week_over_the_period() -> None:
    services = report().as_json()["services"]
    assert services["salt"] == {
        "before": {"total": 3, "per_week": 0.75, "by_priority": {"routine": 2, "soon": 1, "urgent": 0, "emergency": 0}},
        "after": {"total": 5, "per_week": 1.25, "by_priority": {"routine": 5, "soon": 0, "urgent": 0, "emergency": 0}},
        "breached": {"before": 1, "after": 2},
    }
    assert report(first_day=date(2026, 11, 1), last_day=date(2026, 11, 21)).as_json()["services"]["salt"][
        "after"]["per_week"] == 1.67  # 5 in 3 weeks, to two places
    assert report(acceptance=None).as_json()["services"]["salt"]["breached"] is None


ACCEPTED = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize(("acceptance", "accepted"), [
    (Acceptance(accepted={("ref-1", "salt"): ACCEPTED}, median={"salt": timedelta(days=1)}), ACCEPTED),
    (Acceptance(accepted={("ref-2", "salt"): ACCEPTED}, median={"salt": timedelta(days=1)}),
     datetime(2026, 11, 3, 9, tzinfo=timezone.utc)),
    (Acceptance(accepted={("ref-1", "semh"): ACCEPTED}, median={"semh": timedelta(days=1)}), None),
])
def test_a_request_is_accepted_when_it_was_or_after_its_service_s_median_time(acceptance: Acceptance,
                                                                               accepted: datetime | None) -> None:
    assert acceptance.at("ref-1", "salt", datetime(2026, 11, 2, 9, tzinfo=timezone.utc)) == accepted


def _case() -> tuple[ReferralSubmitted, TriageDecision]:
    from services.policy.engine import decide
    from tests.unit.test_whatif import events

    for event in events():
        decision = decide(event, RULES)
        if len({r.service for r in decision.routes}) >= 2:
            return event, decision
    raise AssertionError("no golden case with routes to two services")


def test_add_counts_breaches_at_the_acceptance_times_and_the_period_in_london() -> None:
    event, decision = _case()
    first, second = decision.routes[0], decision.routes[1]
    rid = str(event.referral_id)
    late = Acceptance(accepted={(rid, str(first.service)): first.due_by + timedelta(minutes=1),
                                (rid, str(second.service)): second.due_by})  # on the dot is in time
    r = compare([], RULES, RULES, acceptance=late)
    submitted = datetime(2026, 11, 2, 23, 30, tzinfo=timezone.utc)  # London: still 2 November (GMT)
    add(r, event.model_copy(update={"submitted_at": submitted}), decision, decision.model_copy(update={"routes": []}))
    assert r.breached_before == Counter({str(first.service): 1}) and r.breached_after == Counter()
    assert (r.first_day, r.last_day) == (date(2026, 11, 2), date(2026, 11, 2))
    summer = datetime(2026, 6, 2, 23, 30, tzinfo=timezone.utc)  # London: 3 June (BST)
    add(r, event.model_copy(update={"submitted_at": summer}), decision, decision)
    assert (r.first_day, r.last_day) == (date(2026, 6, 3), date(2026, 11, 2))
    assert r.breached_before == Counter({str(first.service): 2})
    assert r.breached_after == Counter({str(first.service): 1})
    by_service = Counter(str(route.service) for route in decision.routes)
    assert {s: w.total for s, w in r.before.items()} == {s: 2 * n for s, n in by_service.items()}
    assert {s: w.total for s, w in r.after.items()} == dict(by_service)
    assert sum(r.before[str(first.service)].by_priority.values()) == 2 * by_service[str(first.service)]
    assert r.before[str(first.service)].by_priority[str(first.priority)] >= 2
    fired = {e.rule_id for e in decision.explanation}
    assert r.fired_before == r.fired_after == Counter(dict.fromkeys(fired, 2))  # the rules fired, routed or not


def test_compare_names_both_rulesets_keeps_the_acceptance_and_reports_progress_from_one() -> None:
    from tests.unit.test_whatif import events

    cases = events()[:3]
    seen: list[int] = []
    acceptance = Acceptance()
    r = compare(cases, RULES, RULES, acceptance=acceptance, progress=seen.append)
    assert seen == [1, 2, 3]
    assert r.baseline == r.proposed == f"{RULES.name} {RULES.version}"
    assert r.acceptance is acceptance


def test_merge_keeps_the_first_report_s_names_and_acceptance_and_refuses_nothing_to_merge() -> None:
    acceptance = Acceptance(median={"salt": timedelta(days=2)})
    first = report(acceptance=acceptance, baseline="a 1", proposed="b 2")
    merged = merge([first, report(acceptance=None, baseline="c 3", proposed="d 4")])
    assert (merged.baseline, merged.proposed, merged.acceptance) == ("a 1", "b 2", acceptance)
    assert merged.referrals == 28 and merged.breached_after == Counter(salt=4, counselling=2)
    assert merged.breached_before == Counter(salt=2) and merged.apart == {"redirected": 4, "overridden": 2}
    assert merged.as_json()["baseline"] == "a 1" and merged.as_json()["proposed"] == "b 2"
    empty = merge([report(first_day=None, last_day=None, apart={}), report(first_day=None, last_day=None)])
    assert (empty.first_day, empty.last_day, empty.apart) == (None, None, {"redirected": 2, "overridden": 1})
    with pytest.raises(ValueError, match="^no reports to merge$"):
        merge([])
