"""'How we decide' read off a small ruleset written here, which uses every kind of condition, action and section
(issue 21, item 7: the explain module's mutants): the whole page in Markdown, its HTML, and the wording of the sections
a ruleset may leave empty. The shipped ruleset's page is tested in test_rules_explain.py."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from services.policy.ruleset import Ruleset, compile_ruleset
from services.policy.ruleset.explain import body_html, explain, html, markdown

MINI: dict[str, Any] = yaml.safe_load("""\
ruleset: mini
version: 2.3.4
description: A small policy <for> tests.
services: [semh, salt]
groups:
  LIFE: [bereavement, bullying, housing]
variables:
  semh_level:
    values: [none, early]
    default: none
conditions:
  young:
    lt: {fact: age, value: 11}
stages:
- id: first
  mode: all
  rules:
  - id: semh.early
    when:
      all:
      - {is: young}
      - intersects:
          fact: concerns
          group: LIFE
          except: [housing]
    then:
    - set: {semh_level: early}
    - route: {service: semh, pathway: early_support, priority: routine}
    because: Aged {age} with {concerns}.
  - id: salt.any
    when:
      any:
      - contains: {fact: concerns, value: stammering}
      - eq: {fact: has_mhst, value: true}
      - eq: {fact: prior, value: 2}
    then:
    - route: {service: salt, pathway: community, priority: urgent}
    - {hold_others: true}
    because: Speech.
  - id: scope.old
    when:
      all:
      - gt: {fact: age, value: 17}
      - le: {fact: year_group, value: 13}
    then:
    - {outcome: out_of_scope}
    - {halt: true}
    because: Too old.
- id: second
  mode: first
  rules:
  - id: boost.prior
    when:
      ge: {fact: prior, value: 3}
    then:
    - {boost: true}
    because: Often referred.
  - id: ask.aware
    when: {fired: semh.early}
    then:
    - missing: child_agreement
      when:
        eq: {fact: child_aware, value: false}
    - {missing: consent}
    because: Asked.
  - id: consent.semh
    when:
      all:
      - has_route:
          services: [semh]
          pathways: [early_support]
          held: false
          exclude_priorities: [emergency, urgent]
      - not:
          in:
            fact: basis
            values: [parent_with_pr, best_interests]
      - not:
          eq: {fact: impact, value: severe}
    then:
    - drop_routes:
        services: [semh]
        held: true
    because: Consent.
  - id: consent.all
    when:
      not:
        has_route: {}
    then:
    - drop_routes: {}
    because: Nothing.
fall_through:
  id: nobody.else
  because: Nobody else, aged {age}.
hold:
  exempt_services: [salt]
  exempt_priorities: [emergency]
boost:
  exempt_services: [semh]
  raise: {routine: soon, soon: urgent}
due:
  time: '16:30'
  timezone: Europe/London
  holidays_country: GB
  holidays_subdivision: null
  default:
    emergency: {hours: 4}
    urgent: {working_days: 1}
    soon: {working_days: 10}
    routine: {working_days: 20}
  services:
    salt:
      routine: {working_days: 90}
dsr:
  candidate:
    id: dsr.candidate
    when:
      intersects:
        fact: risks
        values: [mh_admission_risk]
    because: Candidate.
  ratings:
  - id: dsr.red
    rating: red
    when:
      contains: {fact: risks, value: self_harm_recent}
    because: Red.
  - {id: dsr.green, rating: green, because: Green.}
  consent:
  - id: dsr.given
    consent: given
    when:
      eq: {fact: basis, value: parent_with_pr}
    because: Given.
  - {id: dsr.needed, consent: needed, because: Needed.}
sharing:
  semh: [given_name, reason]
  salt: [family_name]
redirects: {salt: community}
advice:
  answer_within_working_days: 3
  services:
  - service: salt
    concerns: [stammering, voice]
""")


def mini(**changes: Any) -> Ruleset:
    data = copy.deepcopy(MINI)
    data.update(changes)
    return compile_ruleset(data, source="mini")


def bare() -> Ruleset:
    """One rule that always routes; nothing asked, dropped, raised, held or out of scope; no exemptions."""
    due = copy.deepcopy(MINI["due"])
    due["holidays_subdivision"] = "ENG"
    due["default"]["urgent"] = {"hours": 30}
    rule = {"id": "semh.any", "then": [{"route": {"service": "semh", "pathway": "early_support", "priority": "soon"}}],
            "because": "Always."}
    return mini(stages=[{"id": "only", "mode": "all", "rules": [rule]}], hold={}, boost={"raise": {"routine": "soon"}},
                due=due)


REGISTER_AND_AFTER = [
    "## The Dynamic Support Register",
    "",
    "A child may be on the register when the risks include any of: Risk of a mental health hospital admission."
    " Candidate.",
    "",
    "- Red rating: when the risks include \u201cRecent self-harm\u201d. Red.",
    "- Green rating: in every other case. Green.",
    "",
    "- Consent given: when who agreed to the referral is \u201cA parent with parental responsibility\u201d. Given.",
    "- Consent needed: in every other case. Needed.",
    "",
    "## What each service is told",
    "",
    "- Mental health (SEMH): First name, Why now.",
    "- Speech and language therapy: Last name.",
    "",
    "## Advice without a referral",
    "",
    "A question is answered within 3 working days. When the concerns it names point to one service below, it goes to"
    " that service's advice list too; otherwise the front door's.",
    "",
    "- Speech and language therapy: Stammering, Voice problems.",
]


def test_every_condition_action_and_section_in_words() -> None:
    ruleset = mini()
    assert markdown(explain(ruleset)).splitlines() == [
        f"# How we decide: mini {ruleset.version}",
        "",
        "A small policy <for> tests.",
        "",
        "## Where a referral goes",
        "",
        "Every rule below that applies sends a request to that service, on that pathway.",
        "",
        "### Mental health (SEMH)",
        "",
        "- Early support pathway, routine priority, due within 20 working days: when (the child's age is under 11) and"
        " the concerns include any of: Bereavement, Bullying. Aged [the child's age] with [the concerns]."
        " (rule semh.early)",
        "",
        "### Speech and language therapy",
        "",
        "- Community pathway, urgent priority, due within 1 working day: when the concerns include"
        " \u201cStammering\u201d or the school has a Mental Health Support Team is yes or the number of earlier"
        " referrals in the last year is 2. Speech. (rule salt.any)",
        "",
        "A request redirected here from another service takes the Community pathway at routine priority, unless a rule"
        " above applies.",
        "",
        "## When no rule applies",
        "",
        "When no rule sends a request anywhere, asks for anything or decides the outcome, a person on the front door"
        " decides: a referral is never dropped. Nobody else, aged [the child's age]. (rule nobody.else)",
        "",
        "## How soon each service must accept a request",
        "",
        "A request is due by 16:30 (Europe/London) on the last day; working days leave out weekends and bank holidays"
        " (GB).",
        "",
        "| Service | Emergency | Urgent | Soon | Routine |",
        "|---|---|---|---|---|",
        "| Mental health (SEMH) | 4 hours | 1 working day | 10 working days | 20 working days |",
        "| Speech and language therapy | 4 hours | 1 working day | 10 working days | 90 working days |",
        "",
        "## What we ask for, and why",
        "",
        "When something below is missing, the requests it affects wait until it is given.",
        "",
        "- The child's agreement: asked for when rule semh.early applied, if also the child knows about and agrees to"
        " the referral is no. Asked. (rule ask.aware)",
        "- Consent: asked for when rule semh.early applied. Asked. (rule ask.aware)",
        "",
        "## Consent, by age",
        "",
        "- A request to Mental health (SEMH) that is held is not sent, and consent is asked for, when there is a"
        " request to Mental health (SEMH) on the Early support pathway that is not held (other than emergency, urgent"
        " priority), unless who agreed to the referral is one of \u201cA parent with parental responsibility\u201d,"
        " \u201cA best-interests decision\u201d or the effect on daily life is \u201cSevere\u201d. Consent."
        " (rule consent.semh)",
        "- A request is not sent, and consent is asked for, always, unless there is a request. Nothing."
        " (rule consent.all)",
        "",
        "## Who we cannot help here",
        "",
        "- Out of scope: when the child's age is over 17 and the school year group is 13 or under. Too old."
        " (rule scope.old)",
        "",
        "## What raises priority",
        "",
        "Raising means routine becomes soon, soon becomes urgent, except at Mental health (SEMH). A request is raised"
        " once, however many reasons apply.",
        "",
        "- When the number of earlier referrals in the last year is 3 or over. Often referred. (rule boost.prior)",
        "",
        "## What a safeguarding concern does to other routes",
        "",
        "- When the concerns include \u201cStammering\u201d or the school has a Mental Health Support Team is yes or"
        " the number of earlier referrals in the last year is 2: other services' requests are held until this decision."
        " Speech. (rule salt.any)",
        "",
        "Held requests wait for that decision; these are never held: Speech and language therapy, emergency requests.",
        "",
        *REGISTER_AND_AFTER,
    ]


def test_the_sections_a_ruleset_leaves_empty_say_so() -> None:
    ruleset = bare()
    text = markdown(explain(ruleset))
    assert text.endswith("\n") and not text.endswith("\n\n")
    lines = text.splitlines()
    start = lines.index("### Mental health (SEMH)")
    assert lines[start:lines.index("## The Dynamic Support Register")] == [
        "### Mental health (SEMH)",
        "",
        "- Early support pathway, soon priority, due within 10 working days: when in every other case. Always."
        " (rule semh.any)",
        "",
        "### Speech and language therapy",
        "",
        "- No rule sends requests here directly.",
        "",
        "A request redirected here from another service takes the Community pathway at routine priority, unless a rule"
        " above applies.",
        "",
        "## When no rule applies",
        "",
        "When no rule sends a request anywhere, asks for anything or decides the outcome, a person on the front door"
        " decides: a referral is never dropped. Nobody else, aged [the child's age]. (rule nobody.else)",
        "",
        "## How soon each service must accept a request",
        "",
        "A request is due by 16:30 (Europe/London) on the last day; working days leave out weekends and bank holidays"
        " (GB-ENG).",
        "",
        "| Service | Emergency | Urgent | Soon | Routine |",
        "|---|---|---|---|---|",
        "| Mental health (SEMH) | 4 hours | 30 hours | 10 working days | 20 working days |",
        "| Speech and language therapy | 4 hours | 30 hours | 10 working days | 90 working days |",
        "",
        "## What we ask for, and why",
        "",
        "When something below is missing, the requests it affects wait until it is given.",
        "",
        "- Nothing.",
        "",
        "## Consent, by age",
        "",
        "- No rule holds requests back for consent.",
        "",
        "## What raises priority",
        "",
        "Raising means routine becomes soon. A request is raised once, however many reasons apply.",
        "",
        "- Nothing raises priority.",
        "",
        "## What a safeguarding concern does to other routes",
        "",
        "- No rule holds other requests.",
        "",
        "Held requests wait for that decision; these are never held: none.",
        "",
    ]
    assert "## Who we cannot help here" not in text


def test_the_html_page_escapes_every_word_and_uses_govuk_classes() -> None:
    ruleset = mini()
    page = html(explain(ruleset))
    title = f"How we decide: mini {ruleset.version}"
    lines = page.splitlines()
    assert lines[:6] == [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>',
        '<body class="govuk-template__body"><main class="govuk-main-wrapper">',
        f'<h1 class="govuk-heading-xl">{title}</h1>',
        '<p class="govuk-body-l">A small policy &lt;for&gt; tests.</p>',
        '<h2 class="govuk-heading-l" id="services">Where a referral goes</h2>',
    ]
    assert lines[-1] == "</main></body></html>" and page.endswith("</html>\n")
    assert '<h3 class="govuk-heading-m" id="service-salt">Speech and language therapy</h3>' in lines
    assert ('<ul class="govuk-list govuk-list--bullet"><li>Consent: asked for when rule semh.early applied. Asked.'
            ' (rule ask.aware)</li></ul>') not in lines  # one list of both asks
    assert ('<ul class="govuk-list govuk-list--bullet"><li>Mental health (SEMH): First name, Why now.</li>'
            '<li>Speech and language therapy: Last name.</li></ul>') in lines
    assert ("<p class=\"govuk-body\">A question is answered within 3 working days. When the concerns it names point to"
            " one service below, it goes to that service&#x27;s advice list too; otherwise the front door&#x27;s.</p>"
            ) in lines
    cell = '<td class="govuk-table__cell">{}</td>'.format
    row = '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{}</th>{}</tr>'.format
    head = "".join(f'<th scope="col" class="govuk-table__header">{h}</th>'
                   for h in ("Service", "Emergency", "Urgent", "Soon", "Routine"))
    assert (f'<table class="govuk-table"><thead class="govuk-table__head"><tr class="govuk-table__row">{head}</tr>'
            f'</thead><tbody class="govuk-table__body">'
            + row("Mental health (SEMH)", "".join(map(cell, ["4 hours", "1 working day", "10 working days",
                                                               "20 working days"])))
            + row("Speech and language therapy", "".join(map(cell, ["4 hours", "1 working day", "10 working days",
                                                                      "90 working days"])))
            + "</tbody></table>") in lines


def test_the_portal_gets_each_section_with_its_blocks_already_html() -> None:
    doc = explain(mini())
    placed = body_html(doc)
    assert [s.id for s, _, _ in placed] == ["services", "fall-through", "due", "asks", "consent", "scope", "raises",
                                            "safeguarding", "dsr", "sharing", "advice"]
    services, blocks, parts = placed[0]
    assert blocks == ['<p class="govuk-body">Every rule below that applies sends a request to that service, on that'
                      ' pathway.</p>']
    assert [(p.id, len(b)) for p, b in parts] == [("service-semh", 1), ("service-salt", 2)]
    assert parts[1][1][1].startswith('<p class="govuk-body">A request redirected here')
    page = html(doc).splitlines()
    assert all(b in page for _, blocks, parts in placed for b in [*blocks, *(x for _, bs in parts for x in bs)])
