"""What the policy says of people's decisions: the services and pathways a person may choose come from the
ruleset in force (a council that adds a pathway sees it offered), and a person's decision has one rule id."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.policy.people import PERSONS_DECISION, pathways
from services.policy.ruleset import DEFAULT_RULESET, load_ruleset
from services.triage.overrides import RULE_ID
from tests.cases import reference_ruleset

REFERENCE = [("safeguarding", "mash"), ("safeguarding", "allocated_social_worker"), ("semh", "crisis"),
             ("semh", "camhs"), ("semh", "mhst"), ("semh", "early_support"), ("counselling", "family"),
             ("counselling", "individual"), ("salt", "dysphagia"), ("salt", "existing_team"), ("salt", "community"),
             ("early_help", "existing_team"), ("early_help", "family_support")]


def test_the_reference_policys_pathways_in_service_order() -> None:
    assert pathways(load_ruleset(DEFAULT_RULESET)) == REFERENCE


def test_a_pathway_the_council_adds_is_offered_in_its_service(tmp_path: Path) -> None:
    data = reference_ruleset()
    data["redirects"]["salt"] = "voice_clinic"  # a new pathway, named only as the redirect's
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    offered = pathways(load_ruleset(tmp_path / "policy.yaml"))
    assert ("salt", "voice_clinic") in offered and offered.index(("salt", "voice_clinic")) < offered.index(
        ("early_help", "existing_team"))


def test_a_persons_decision_has_the_policys_one_rule_id() -> None:
    assert RULE_ID == PERSONS_DECISION == "front_door.decision"
