"""The what-if comparison's pure core: the change classes between two decisions, and the report's sums."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from schemas import ReferralSubmitted, TriageDecision
from services.intake.whatif.store import EventsFileError, from_lines, latest_per_referral
from services.policy.engine import decide
from services.policy.ruleset import load_ruleset
from services.policy.whatif import CLASSES, EXAMPLES, add, changes, compare
from tests.cases import GOLDEN, whatif_proposal, write_whatif_proposal

RULES = load_ruleset()


def events() -> list[ReferralSubmitted]:
    return [ReferralSubmitted.model_validate(json.loads(p.read_text())["event"]) for p in sorted(GOLDEN.glob("*.json"))]


def routed() -> TriageDecision:
    """A golden case's decision with at least one route, to change one thing at a time."""
    for event in events():
        d = decide(event, RULES)
        if d.routes and not d.dsr.candidate:
            return d
    raise AssertionError("no routed golden case")


def with_route(d: TriageDecision, **changed: Any) -> TriageDecision:
    first = d.routes[0].model_copy(update=changed)
    return d.model_copy(update={"routes": [first, *d.routes[1:]]})


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: d.model_copy(update={"outcome": "manual_review"}), {"outcome_changed"}),
    (lambda d: d.model_copy(update={"routes": d.routes[1:]}), {"route_removed"}),
    (lambda d: with_route(d, pathway="crisis" if d.routes[0].pathway != "crisis" else "early"), {"pathway_changed"}),
    (lambda d: with_route(d, priority="emergency" if d.routes[0].priority != "emergency" else "urgent"),
     {"priority_up"}),
    (lambda d: with_route(d, due_by=d.routes[0].due_by + timedelta(days=3)), {"due_date_moved"}),
    (lambda d: with_route(d, held=not d.routes[0].held), {"held_changed"}),
    (lambda d: d.model_copy(update={"dsr": d.dsr.model_copy(update={"candidate": True})}), {"dsr_changed"}),
    (lambda d: d.model_copy(update={"missing": [*d.missing, "consent"]}), {"missing_changed"}),
])
def test_each_change_is_its_own_class(edit: Any, expected: set[str]) -> None:
    d = routed()
    after = edit(d)
    if expected == {"priority_up"} and d.routes[0].priority == "emergency":
        expected = {"priority_down"}
    assert changes(d, after) == expected
    assert changes(d, d) == set()


def test_priority_down_and_route_added_are_the_other_way_round() -> None:
    d = routed()
    lower = with_route(d, priority="routine") if d.routes[0].priority != "routine" else with_route(d, priority="soon")
    fewer = d.model_copy(update={"routes": d.routes[1:]})
    assert changes(d, lower) == ({"priority_down"} if d.routes[0].priority != "routine" else {"priority_up"})
    assert changes(fewer, d) == {"route_added"}


def test_a_ruleset_against_itself_changes_nothing_and_counts_everything() -> None:
    cases = events()
    report = compare(cases, RULES, RULES)
    assert (report.referrals, report.changed, sum(report.by_class.values())) == (len(cases), 0, 0)
    routes = sum(len(decide(e, RULES).routes) for e in cases)
    assert sum(w.total for w in report.before.values()) == sum(w.total for w in report.after.values()) == routes
    assert report.fired_before == report.fired_after and report.rules() == []
    assert report.as_json()["changes"] == dict.fromkeys(CLASSES, 0)


def test_examples_are_bounded_ids() -> None:
    d = routed()
    event = events()[0]
    report = compare([], RULES, RULES)
    for n in range(EXAMPLES + 5):
        add(report, event.model_copy(update={"referral_id": f"00000000-0000-4000-8000-{n:012d}"}),
            d, d.model_copy(update={"outcome": "manual_review"}))
    assert report.by_class["outcome_changed"] == EXAMPLES + 5
    assert len(report.examples["outcome_changed"]) == EXAMPLES
    assert all(len(i) == 36 for i in report.examples["outcome_changed"])


def test_a_referral_sent_again_counts_once_with_its_latest_event() -> None:
    e = events()[0]
    later = e.model_copy(update={"submitted_at": e.submitted_at + timedelta(days=2),
                                 "event_id": "00000000-0000-4000-8000-000000000001"})
    assert latest_per_referral([later, e]) == [later]


def test_a_bad_line_in_an_export_is_named_by_its_number_only() -> None:
    good = events()[0].model_dump_json()
    assert len(from_lines([good, "", good]).events) == 1
    with pytest.raises(EventsFileError, match="^line 2: not a valid referral.submitted event$"):
        from_lines([good, '{"event_type": "referral.submitted", "child": "secret"}'])


def test_merging_the_reports_of_consecutive_chunks_equals_one_comparison_of_them_all() -> None:
    """The parallel entry point: chunks compared apart (as in processes) and merged give the one-process report."""
    import uuid

    from services.policy.ruleset import compile_ruleset
    from services.policy.whatif import merge

    proposed = compile_ruleset(whatif_proposal(), source="proposed")
    base = events()
    many = [base[i % len(base)].model_copy(update={
        "referral_id": uuid.UUID(int=i + 1),
        "submitted_at": base[0].submitted_at - timedelta(days=(i * 7) % 300 if i < 300 else 100 + i % 10),
    }) for i in range(400)]  # the first and last days fall in inner chunks
    whole = compare(many, RULES, proposed)
    assert whole.changed > EXAMPLES and whole.first_day != whole.last_day  # enough to tell a wrong merge
    bounds = [0, 3, 3, 57, 150, 151, 290, 400]  # uneven chunks, one empty
    parts = [compare(many[a:b], RULES, proposed) for a, b in zip(bounds, bounds[1:], strict=False)]
    merged = merge(parts)
    assert merged.as_json() == whole.as_json()
    assert merged == whole
    with pytest.raises(ValueError):
        merge([])


def test_the_command_s_processes_give_the_one_process_report(tmp_path: Any, monkeypatch: Any) -> None:
    """`rules whatif` replays over several processes (whatif_run.compare_files): the same report as one process,
    with the progress bar reaching every event."""
    import uuid

    from services.policy import whatif_run
    from services.policy.ruleset.load import DEFAULT_RULESET

    proposed = write_whatif_proposal(tmp_path)
    base = events()
    many = [base[i % len(base)].model_copy(update={"referral_id": uuid.UUID(int=i + 1)}) for i in range(600)]
    monkeypatch.setattr(whatif_run, "IN_ONE_PROCESS_BELOW", 100)
    seen: list[int] = []
    parallel = whatif_run.compare_files(many, DEFAULT_RULESET, proposed, processes=2, progress=seen.append)
    single = whatif_run.compare_files(many, DEFAULT_RULESET, proposed, processes=1)
    assert parallel.changed > 0 and parallel == single
    assert seen[-1] == len(many) and seen == sorted(seen) and len(seen) > 2  # one step per chunk


# --- issue 20 item 14: routes compared by (service, pathway), and the report equals a plain decide-both-and-diff ---

def _decided_routes(d: TriageDecision) -> dict[tuple[str, str], tuple[str, Any, bool]]:
    return {(str(r.service), str(r.pathway)): (str(r.priority), r.due_by, r.held) for r in d.routes}


def _plain(d: TriageDecision) -> tuple[Any, ...]:
    """What a person comparing two `frontdoor triage decide` outputs compares (not ids, times or wording)."""
    return (d.outcome, sorted(_decided_routes(d).items()), sorted(d.missing), d.dsr.candidate, d.dsr.suggested_rating)


def plain_diff(cases: list[ReferralSubmitted], baseline: Any, proposed: Any) -> tuple[int, int]:
    """(decisions that change, decisions with a due date moved on a request both decisions make): each event
    decided under both rulesets and the two decisions compared, request by request."""
    changed = moved = 0
    for event in cases:
        before, after = decide(event, baseline), decide(event, proposed)
        changed += _plain(before) != _plain(after)
        was, now = _decided_routes(before), _decided_routes(after)
        moved += any(was[k][1] != now[k][1] for k in was.keys() & now.keys())
    return changed, moved


def two_salt_requests(n: int = 1) -> list[ReferralSubmitted]:
    """Referrals with a SALT dysphagia request (soon) and a SALT existing-team request (routine)."""
    import uuid

    e = events()[0]
    referral = e.referral.model_dump(mode="json") | {
        "concerns": ["feeding_swallowing", "speech_sounds"], "risks": [], "known_services": ["salt"]}
    referral["child"]["date_of_birth"] = "2018-03-15"  # aged 8: no transition-year boost
    return [ReferralSubmitted.model_validate(e.model_dump(mode="json") | {
        "referral_id": str(uuid.UUID(int=i + 1)), "referral": referral}) for i in range(n)]


def test_a_moved_due_date_on_a_second_request_to_one_service_is_seen() -> None:
    """Lengthening SALT routine moves the existing-team request's date; the dysphagia request (soon) stays."""
    from services.policy.ruleset import compile_ruleset

    proposed = compile_ruleset(whatif_proposal(), source="proposed")
    cases = two_salt_requests()
    before, after = decide(cases[0], RULES), decide(cases[0], proposed)
    assert [(r.service, r.pathway) for r in before.routes] == [("salt", "dysphagia"), ("salt", "existing_team")]
    assert changes(before, after) == {"due_date_moved"}
    report = compare(cases, RULES, proposed)
    assert (report.changed, report.by_class["due_date_moved"]) == plain_diff(cases, RULES, proposed) == (1, 1)


def test_a_pathway_changed_within_one_service_is_a_pathway_change_not_an_added_route() -> None:
    d = decide(two_salt_requests()[0], RULES)
    community = [r.model_copy(update={"pathway": "community"}) if r.pathway == "existing_team" else r
                 for r in d.routes]
    assert changes(d, d.model_copy(update={"routes": community})) == {"pathway_changed"}
    assert changes(d, d.model_copy(update={"routes": d.routes[:1]})) == {"route_removed"}
    assert changes(d.model_copy(update={"routes": d.routes[:1]}), d) == {"route_added"}
