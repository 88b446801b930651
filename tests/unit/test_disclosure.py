"""Which reasons of a decision rest on the child's history (intake/referrals/disclosure.py), read from the policy, and
how a referrer's view words them: without counts, without the rules' ids, once."""

from __future__ import annotations

from typing import Any

from services.intake.referrals.disclosure import (
    FRONT_DOOR,
    HISTORY,
    HISTORY_WORDS,
    PERSONS_DECISION,
    Reader,
    policy,
)


def test_in_the_reference_policy_only_the_repeat_referral_boost_and_the_pending_hold_rest_on_the_history() -> None:
    known, history = policy(None)  # safeguarding.pending: another referral's undecided MASH request is history too
    assert history == {"boost.repeat_referral", "safeguarding.pending"} and len(known) > 20 and history <= known


def test_an_unreadable_policy_knows_no_rule(tmp_path: Any) -> None:
    (tmp_path / "bad.yaml").write_text("stages: [")
    assert policy(str(tmp_path / "bad.yaml")) == (frozenset(), frozenset())
    assert policy(str(tmp_path / "missing.yaml")) == (frozenset(), frozenset())


DECISION = {
    "outcome": "routed",
    "routes": [{"service": "salt", "priority": "soon", "reasons": ["salt.community", "boost.repeat_referral"]}],
    "dsr": {"candidate": True, "reasons": ["dsr.c", "dsr.red"]},
    "explanation": [
        {"rule_id": "salt.community", "because": "Speech sounds: community SALT."},
        {"rule_id": "boost.repeat_referral", "because": "2 earlier referrals in the last year: raised."},
        {"rule_id": "dsr.red", "because": "4 earlier referrals."},
        {"rule_id": "retired.rule", "because": "A rule of an older policy."},
        {"rule_id": PERSONS_DECISION, "because": "A person on the front door decided: fine."},
    ],
    "disagreed_with": ["boost.repeat_referral", "salt.community"],
}


def test_a_referrer_sees_the_history_in_words_once_without_counts_or_rule_ids() -> None:
    reader = Reader(everything=False, known=frozenset({"salt.community", "boost.repeat_referral", "dsr.c", "dsr.red"}),
                    history=frozenset({"boost.repeat_referral", "dsr.red"}))
    shown = reader.decision(DECISION)
    assert shown is not None
    assert shown["explanation"] == [
        {"rule_id": "salt.community", "because": "Speech sounds: community SALT."},
        {"rule_id": HISTORY, "because": HISTORY_WORDS},  # once, for the three reasons it stands for
        {"rule_id": PERSONS_DECISION, "because": "A person on the front door decided: fine."},
    ]
    assert shown["routes"] == [{"service": "salt", "priority": "soon", "reasons": ["salt.community"]}]
    assert shown["dsr"] == {"candidate": True, "reasons": ["dsr.c"]}
    assert shown["disagreed_with"] == ["salt.community"]
    assert DECISION["explanation"][1]["rule_id"] == "boost.repeat_referral"  # the stored decision is untouched
    assert reader.decision(None) is None


def test_the_front_door_sees_everything() -> None:
    assert FRONT_DOOR.decision(DECISION) == DECISION
    assert FRONT_DOOR.rule_ids(["retired.rule"]) == ["retired.rule"]
