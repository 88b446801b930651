"""Issue 20 item 6: a what-if answer discloses no more than the reports. Every count is suppressed as the reports
suppress theirs (services.intake.reports.domain.suppression: small counts, then the secondary suppression), with before
and after read as published together (a small difference between them is a small count); example referral ids go
only to a role that may open those referrals (the front door), never to a manager."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import uuid
from typing import Any

from schemas import ReferralSubmitted
from services.intake.whatif.disclosure import csv_of, disclosed_whatif
from services.policy.ruleset import compile_ruleset, load_ruleset
from services.policy.whatif import compare
from tests.cases import reference_ruleset
from tests.unit.test_whatif import events, two_salt_requests

RULES = load_ruleset()
K = 5


def with_emergency_counselling_when(condition: dict[str, Any]) -> Any:
    """The reference ruleset plus one rule: `when: <condition> -> route counselling emergency` (the probe)."""
    data = reference_ruleset()
    stage = next(s for s in data["stages"] if s.get("rules"))
    stage["rules"].insert(0, {"id": "probe.one", "when": condition, "then": [
        {"route": {"service": "counselling", "pathway": "school_counselling", "priority": "emergency"}}],
        "because": "A probe."})
    return compile_ruleset(data, source="probe")


def stored() -> list[ReferralSubmitted]:
    """Forty referrals; exactly one has aspiration signs and is known to speech and language therapy."""
    many = [e.model_copy(update={"referral_id": uuid.UUID(int=i + 1)})
            for i, e in enumerate(itertools.islice(itertools.cycle(events()), 40))]
    one = two_salt_requests()[0]
    odd = one.model_copy(update={"referral_id": uuid.UUID(int=999), "referral": one.referral.model_copy(
        update={"risks": ["aspiration_signs"]})})
    return [*many, odd]


def numbers(value: Any) -> list[int]:
    """Every count in an answer (not the weeks or per-week rates)."""
    if isinstance(value, dict):
        return [n for k, v in value.items() if k not in ("period", "per_week", "small_number_threshold")
                for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def probe() -> dict[str, Any]:
    report = compare(stored(), RULES, with_emergency_counselling_when({"all": [
        {"contains": {"fact": "risks", "value": "aspiration_signs"}},
        {"contains": {"fact": "known_services", "value": "salt"}}]}))
    return report.as_json()


def test_the_probe_reads_the_exact_small_count_today() -> None:
    raw = probe()
    assert raw["changed"] == 1 and raw["examples"]["route_added"] == [str(uuid.UUID(int=999))]


def test_a_manager_sees_no_small_count_and_no_referral_id() -> None:
    answer = disclosed_whatif(probe(), K, may_open_referrals=False)
    text = json.dumps(answer)
    assert str(uuid.UUID(int=999)) not in text and "examples" not in answer
    assert not [n for n in numbers(answer) if 0 < n < K], answer
    assert answer["changed"] is None and answer["changes"]["route_added"] is None and answer["suppressed"] is True
    assert answer["small_number_threshold"] == K
    text = csv_of(answer)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Section", "What", "Detail", "Before: the rules in force", "After: the proposed rules"]
    assert str(uuid.UUID(int=999)) not in text
    assert ["Summary", "Decisions that change", "", "0", "suppressed"] in rows
    for row in rows[1:]:
        for cell in row[3:]:
            assert cell in ("suppressed", "0") or not cell.isdigit() or int(cell) >= K, row


def test_before_and_after_cannot_be_subtracted_to_a_small_count() -> None:
    """Counselling's emergency requests before and after, and its totals, differ by the one probed referral: no
    shown pair of before and after figures may differ by 1 to K - 1."""
    answer = disclosed_whatif(probe(), K, may_open_referrals=False)
    for service, sides in answer["services"].items():
        b, a = sides["before"], sides["after"]
        pairs = [(b["total"], a["total"])] + [(b["by_priority"][p], a["by_priority"][p]) for p in b["by_priority"]]
        for x, y in pairs:
            assert x is None or y is None or not 0 < abs(x - y) < K, (service, answer["services"][service])
        shown = [b["by_priority"][p] for p in b["by_priority"]]
        if b["total"] is not None and sum(v is None for v in shown) == 1:
            raise AssertionError(f"{service}: one hidden priority and its total shown")
    for rule in answer["rules"]:
        x, y = rule["before"], rule["after"]
        assert x is None or y is None or not 0 < abs(x - y) < K, rule


def test_the_front_door_sees_the_example_ids_and_the_same_suppressed_counts() -> None:
    raw = probe()
    theirs = disclosed_whatif(copy.deepcopy(raw), K, may_open_referrals=True)
    mine = disclosed_whatif(copy.deepcopy(raw), K, may_open_referrals=False)
    assert theirs["examples"]["route_added"] == [str(uuid.UUID(int=999))]
    assert {k: v for k, v in theirs.items() if k != "examples"} == mine


def test_a_large_change_is_shown() -> None:
    data = reference_ruleset()
    data["due"]["default"]["routine"] = {"working_days": 30}
    raw = compare(stored(), RULES, compile_ruleset(data, source="p")).as_json()
    assert raw["changed"] >= K
    answer = disclosed_whatif(raw, K, may_open_referrals=False)
    assert answer["changed"] == raw["changed"] and answer["referrals"] == raw["referrals"]
