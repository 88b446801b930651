"""'How we decide' for families (issue 22, item 13), generated from the same ruleset file as the exact version: short
sentences per service, no rule ids, no nested logic (alternatives as bullets, `not` as "but not when"), facts in
words, how long each service takes, and a reading ease a parent can manage (Flesch reading ease >= 60, textstat,
which must work offline: nothing is fetched at run time)."""

from __future__ import annotations

import copy
import re
import socket
from typing import Any

import pytest
import textstat

from schemas.labels import label
from services.policy import ruleset_model as m
from services.policy.history import rule_ids
from services.policy.ruleset import compile_ruleset, load_ruleset
from services.policy.ruleset.explain import markdown
from services.policy.ruleset.family import for_families, plain_text
from tests.cases import reference_ruleset
from tests.unit.test_rules_explain_words import MINI

SHIPPED = load_ruleset()
READING_EASE = 60


def family_text(ruleset: Any = SHIPPED) -> str:
    return markdown(for_families(ruleset))


def test_a_parent_can_read_it_flesch_reading_ease_at_least_60(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*_: Any, **__: Any) -> None:
        raise AssertionError("textstat tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)  # its word lists are installed, never fetched
    text = plain_text(for_families(SHIPPED))
    assert len(text.split()) > 500  # the whole page, not a heading
    score = textstat.flesch_reading_ease(text)
    assert score >= READING_EASE, score


def test_no_rule_ids_no_codes_no_nested_logic_and_no_placeholders() -> None:
    text = family_text()
    body = text.split("\n", 1)[1]  # after the title, which markdown() gives the name and version
    for rule_id in rule_ids(SHIPPED.source):
        assert rule_id not in body, rule_id
    for code in ("(rule", "not (", " is yes", " is no", "[", "{", "GB-ENG", SHIPPED.version, "semh_level", "_"):
        assert code not in body, code
    assert "the child's age" not in body or "Aged" not in body


def test_each_service_says_when_we_send_a_request_there_and_how_long_it_takes() -> None:
    text = family_text()
    routes = [(rule, a.route) for s in SHIPPED.source.stages for rule in s.rules for a in rule.then
              if isinstance(a, m.RouteAction)]
    for _, r in routes:
        service = text[text.index(f"## {label(r.service)}\n"):]
        part = service[service.index(f"### {label(r.pathway)}\n"):]
        name = label(r.service)
        assert f"We send a request to {name[:1].lower() + name[1:]} when" in part
        clock = SHIPPED.clocks[(r.service.value, r.priority.value)]
        assert f"looks at it within {clock.hours} hours" in part if clock.hours else (
            f"within {clock.working_days} working day" in part)
    assert "- Speech and language therapy: emergency within 4 hours, urgent within 5 working days, soon within 10" \
           " working days, routine within 90 working days." in text
    assert "Working days are Monday to Friday, but not bank holidays. A working day ends at 5pm." in text
    assert SHIPPED.source.fall_through.because in text


def test_alternatives_are_bullets_and_a_not_is_a_but_not_when_sentence() -> None:
    text = family_text()
    assert ("We send a request to mental health (SEMH) when any of these is true:\n\n"
            "- the request mentions recent self-harm, eating disorder warning signs, A&E attendance for mental health"
            " or risk to others\n"
            "- the request is about suicidal thoughts\n") in text
    assert ("We send a request to speech and language therapy when the request is about feeding and swallowing, but"
            " not when the request mentions signs of food or drink going into the lungs.") in text
    # not (under 18, or under 25 with an EHC plan): De Morgan, and two bounds on the age read as one
    assert ("We cannot help here when any of these is true:\n\n- the child is 25 or over\n"
            "- the child is 18 or over, but not when the child has an EHC plan\n") in text
    assert "and the child is 5 to 17, but not when we send a request to counselling." in text
    # consent: "can send only when" the rule's `not` part holds, each way a bullet
    assert ("We can send a request to mental health (SEMH) or counselling only when any of these is true:\n\n"
            "- a parent with parental responsibility agreed or a best-interests decision was made\n"
            "- the young person agreed and the child is 13 or over\n") in text


def test_a_change_to_the_file_changes_the_family_page() -> None:
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": 60}
    data["conditions"]["consent_for_health_services"]["any"][1]["all"][1]["ge"]["value"] = 14
    data["fall_through"]["because"] = "Nothing fits a child aged {age}, so a person decides."
    text = family_text(compile_ruleset(data))
    assert "routine within 60 working days" in text and "90 working days" not in text
    assert "- the young person agreed and the child is 14 or over\n" in text
    assert "Nothing fits a child aged the child's age, so a person decides." in text


def test_every_kind_of_condition_in_words() -> None:
    """The small ruleset of test_rules_explain_words, which uses every kind of condition and action."""
    text = family_text(compile_ruleset(copy.deepcopy(MINI), source="mini"))
    assert ("We send a request to mental health (SEMH) when the child is under 11 and the request is about"
            " bereavement or bullying.") in text
    assert ("- the request is about stammering\n- the child's school has a Mental Health Support Team\n"
            "- the number of requests in the last year is 2\n") in text
    assert "This is urgent. The service looks at it within 1 working day." in text
    assert ("We can send a request to mental health (SEMH) only when any of these is true:\n\n"
            "- a parent with parental responsibility agreed or a best-interests decision was made\n"
            "- the effect on the child's daily life is severe\n") in text
    assert "We can send a request to a service only when we send a request to a service." in text
    assert ("A request is looked at sooner (routine becomes soon and soon becomes urgent) when the number of requests"
            " in the last year is 3 or over.") in text
    assert "Other requests wait for speech and language therapy to decide first when any of these is true:" in text
    assert "We cannot help here when the child is over 17 and the child is in year 13 or under." in text
    assert "A working day ends at 4:30pm." in text
    assert "Nobody else, aged the child's age." in text
    assert not re.search(r"\(rule |semh\.early|ask\.aware", text)


def rule(rule_id: str, when: Any, then: Any = None) -> dict[str, Any]:
    return {"id": rule_id, "when": when, "because": f"Because {rule_id}.",
            "then": then or [{"route": {"service": "semh", "pathway": "early_support", "priority": "soon"}}]}


def test_the_other_kinds_of_condition_in_words() -> None:
    data = copy.deepcopy(MINI)
    data["groups"]["MANY"] = ["camhs", "mhst", "counselling", "salt", "early_help"]
    data["stages"] = [{"id": "only", "mode": "all", "rules": [
        rule("a.first", {"all": [{"ge": {"fact": "year_group", "value": 7}},
                                 {"lt": {"fact": "year_group", "value": 12}},
                                 {"gt": {"fact": "age", "value": 10}}, {"le": {"fact": "age", "value": 16}}]}),
        rule("b.fired", {"all": [{"fired": "a.first"}, {"has_route": {"services": ["salt"]}},
                                 {"eq": {"fact": "channel", "value": "professional_portal"}}]}),
        rule("c.sets", {"any": [{"intersects": {"fact": "known_services", "group": "MANY"}},
                                {"contains": {"fact": "diagnoses", "value": "autism"}},
                                {"contains": {"fact": "open_services", "value": "salt"}},
                                {"intersects": {"fact": "risks", "values": ["psychosis_signs"]}}]}),
        rule("d.status", {"all": [{"in": {"fact": "social_care_status", "values": ["child_in_need", "looked_after"]}},
                                  {"eq": {"fact": "safeguarding_pending", "value": True}},
                                  {"not": {"eq": {"fact": "child_aware", "value": True}}},
                                  {"not": {"lt": {"fact": "prior", "value": 2}}},
                                  {"not": {"in": {"fact": "year_group", "values": [6, 11]}}},
                                  {"eq": {"fact": "referrer_role", "value": "gp"}}]}),
        rule("e.never", {"not": {"always": True}}),
        rule("f.drop", {"has_route": {"services": ["salt"]}}, [{"drop_routes": {"services": ["salt"]}}]),
    ]}]
    text = family_text(compile_ruleset(data, source="mini"))
    assert ("We send a request to mental health (SEMH) when the child is in year 7 to year 11 and the child is 11 to"
            " 16.") in text
    assert ("We send a request to mental health (SEMH) when because a.first, we send a request to speech and language"
            " therapy and the request came by professional portal.") in text
    assert ("- a service such as CAMHS, Mental Health Support Team or counselling already works with the child\n"
            "- the child has autism\n"
            "- speech and language therapy already has a request open for the child\n"
            "- the request mentions signs of psychosis\n") in text
    assert ("We send a request to mental health (SEMH) when the child is a child in need or the child is looked after,"
            " the safeguarding hub is still deciding about an earlier worry, the child does not know about the"
            " request, the number of requests in the last year is 2 or over and the person asking is GP, but not when"
            " the child is in year 6 or year 11.") in text
    assert "Because e.never" not in text and text.count("We send a request to mental health (SEMH)") == 4
    assert "We do not send a request to speech and language therapy when we send a request to speech and language" \
           " therapy." in text
    assert "This is needed soon. The service looks at it within 10 working days." in text


def test_every_fact_a_rule_may_test_has_family_words() -> None:
    from services.policy.facts import FACT_TYPES
    from services.policy.ruleset.family import IS, NUMBERS, SAID, SETS, YES_NO

    for fact, (kind, values) in FACT_TYPES.items():
        words = {"int": NUMBERS, "bool": YES_NO, "set": SETS}.get(kind)
        if words is not None:
            assert fact in words, fact
        else:
            assert fact in IS or set(SAID.get(fact, {})) == set(values), fact
