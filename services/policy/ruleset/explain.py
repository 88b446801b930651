"""The ruleset in plain English ("How we decide"): pure. `explain(ruleset)` walks the loaded file and returns
sections of paragraphs, lists and tables; `markdown` and `html` print them. Nothing is written by hand about the
policy itself, so the page can never disagree with what triage does."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Union

from schemas.labels import label
from services.policy import ruleset_model as m
from services.policy.ruleset.compiled import Ruleset

# How each fact a condition tests reads in a sentence.
FACTS = {
    "age": "the child's age", "year_group": "the school year group", "prior": "the number of earlier referrals in the"
    " last year", "child_aware": "the child knows about and agrees to the referral", "has_mhst":
    "the school has a Mental Health Support Team", "basis": "who agreed to the referral", "impact":
    "the effect on daily life", "duration": "how long it has gone on", "sen_status": "SEN status",
    "social_care_status": "social care status", "channel": "how the referral was sent", "referrer_role":
    "the referrer's role", "concerns": "the concerns", "risks": "the risks", "diagnoses": "the diagnoses",
    "known_services": "the services already involved", "open_services": "the services with an open request",
    "safeguarding_pending": "the safeguarding hub has yet to decide about the child",
    "semh_level": "the mental health level found above",
}


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Union[str, list[str], Table]  # a paragraph, a bulleted list or a table


@dataclass
class Section:
    id: str
    heading: str
    blocks: list[Block] = field(default_factory=list)
    parts: list[Section] = field(default_factory=list)  # sub-sections (h3)


@dataclass
class Explanation:
    name: str
    version: str
    description: str
    sections: list[Section]


def words(code: Any) -> str:
    return str(code) if isinstance(code, (int, bool)) and not isinstance(code, bool) else label(code)


def _fact(name: str) -> str:
    return FACTS.get(name, label(name).lower())


def _value(fact: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"“{label(value)}”"


class _Words:
    """Conditions as sentences; named conditions and groups are written out in full."""

    def __init__(self, source: m.RulesetFile) -> None:
        self.source = source

    def members(self, test: m.SetTest) -> str:
        codes = list(self.source.groups.get(test.group, [])) if test.group else list(test.values or [])
        codes = [c for c in codes if c not in test.except_]
        return ", ".join(label(c) for c in codes)

    def __call__(self, c: Any, nested: bool = False) -> str:  # noqa: C901, PLR0911, PLR0912 - one case per condition
        text: str
        if isinstance(c, m.AllOf):
            text = " and ".join(self(p, True) for p in c.all)
        elif isinstance(c, m.AnyOf):
            text = " or ".join(self(p, True) for p in c.any)
        elif isinstance(c, m.NotOf):
            return f"not ({self(c.not_)})"
        elif isinstance(c, m.Intersects):
            return f"{_fact(c.intersects.fact)} include any of: {self.members(c.intersects)}"
        elif isinstance(c, m.Contains):
            return f"{_fact(c.contains.fact)} include {_value(c.contains.fact, c.contains.value)}"
        elif isinstance(c, m.Eq):
            return f"{_fact(c.eq.fact)} is {_value(c.eq.fact, c.eq.value)}"
        elif isinstance(c, m.In):
            return f"{_fact(c.in_.fact)} is one of {', '.join(_value(c.in_.fact, v) for v in c.in_.values)}"
        elif isinstance(c, m.Lt):
            return f"{_fact(c.lt.fact)} is under {c.lt.value}"
        elif isinstance(c, m.Le):
            return f"{_fact(c.le.fact)} is {c.le.value} or under"
        elif isinstance(c, m.Gt):
            return f"{_fact(c.gt.fact)} is over {c.gt.value}"
        elif isinstance(c, m.Ge):
            return f"{_fact(c.ge.fact)} is {c.ge.value} or over"
        elif isinstance(c, m.Always):
            return "in every other case"
        elif isinstance(c, m.Fired):
            return f"rule {c.fired} applied"
        elif isinstance(c, m.HasRoute):
            return f"there is {self.selector(c.has_route)}"
        elif isinstance(c, m.Is):
            named = self.source.conditions.get(c.is_)
            text = self(named) if named is not None else label(c.is_)
        else:
            return "always"
        return f"({text})" if nested else text

    def selector(self, s: m.RouteSelector) -> str:
        text = "a request"
        if s.services:
            text += " to " + " or ".join(label(v) for v in s.services)
        if s.pathways:
            text += " on the " + " or ".join(label(p) for p in s.pathways) + " pathway"
        if s.held is not None:
            text += " that is held" if s.held else " that is not held"
        if s.exclude_priorities:
            text += " (other than " + ", ".join(label(p).lower() for p in s.exclude_priorities) + " priority)"
        return text


def clock(c: m.Clock | None) -> str:
    if c is None:
        return "no due date"
    if c.hours is not None:
        return f"{c.hours} hours"
    return f"{c.working_days} working days" if c.working_days != 1 else "1 working day"


def _because(text: str) -> str:
    """A rule's reason with its `{fact}` placeholders in words ("{age}" reads "the child's age")."""
    for name in list(FACTS) + ["year_group"]:
        text = text.replace("{" + name + "}", f"[{_fact(name)}]")
    return text


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(c: Any, say: _Words) -> str:
    return say(c) if isinstance(c, m.Always) else f"when {say(c)}"


def _unless(when: Any, say: _Words) -> str:
    """A condition `A and not B` as "when A, unless B" (how a consent rule reads best)."""
    parts = when.all if isinstance(when, m.AllOf) else [when]
    positive = [say(p, True) for p in parts if not isinstance(p, m.NotOf)]
    negative = [say(p.not_, True) for p in parts if isinstance(p, m.NotOf)]
    text = f"when {' and '.join(positive)}" if positive else "always"
    return text + (f", unless {' or '.join(negative)}" if negative else "")


def explain(ruleset: Ruleset) -> Explanation:  # noqa: C901, PLR0912 - one pass over the file
    src = ruleset.source
    say = _Words(src)
    routes: dict[str, list[str]] = {s: [] for s in src.services}
    asks: list[str] = []
    raises: list[str] = []
    consent: list[str] = []
    safeguarding: list[str] = []
    scope: list[str] = []
    for stage in src.stages:
        for rule in stage.rules:
            when = say(rule.when)
            for action in rule.then:
                if isinstance(action, m.RouteAction):
                    r = action.route
                    routes[r.service].append(
                        f"{label(r.pathway)} pathway, {label(r.priority).lower()} priority, due within "
                        f"{clock(ruleset.clocks.get((r.service, r.priority)))}: when {when}. {_because(rule.because)}"
                        f" (rule {rule.id})")
                elif isinstance(action, m.MissingAction):
                    extra = f", if also {say(action.when)}" if action.when is not None else ""
                    asks.append(f"{label(action.missing)}: asked for when {when}{extra}. {_because(rule.because)}"
                                f" (rule {rule.id})")
                elif isinstance(action, m.BoostAction):
                    raises.append(f"When {when}. {_because(rule.because)} (rule {rule.id})")
                elif isinstance(action, m.DropRoutesAction):
                    consent.append(f"{_first_up(say.selector(action.drop_routes))} is not sent, and consent is"
                                   f" asked for, {_unless(rule.when, say)}. {_because(rule.because)} (rule {rule.id})")
                elif isinstance(action, m.HoldOthersAction):
                    safeguarding.append(f"When {when}: other services' requests are held until this decision. "
                                        f"{_because(rule.because)} (rule {rule.id})")
                elif isinstance(action, m.OutcomeAction):
                    scope.append(f"{label(action.outcome)}: when {when}. {_because(rule.because)} (rule {rule.id})")
    sections: list[Section] = []
    parts = []
    for service in src.services:
        blocks: list[Block] = [routes[service] or ["No rule sends requests here directly."]]
        if service in src.redirects:
            blocks.append(f"A request redirected here from another service takes the "
                          f"{label(src.redirects[service])} pathway at routine priority, unless a rule above applies.")
        parts.append(Section(f"service-{service}", label(service), blocks))
    sections.append(Section("services", "Where a referral goes",
                            ["Every rule below that applies sends a request to that service, on that pathway."],
                            parts))
    fall = src.fall_through
    sections.append(Section("fall-through", "When no rule applies", [
        "When no rule sends a request anywhere, asks for anything or decides the outcome, a person on the front door"
        f" decides: a referral is never dropped. {_because(fall.because)} (rule {fall.id})"]))
    priorities = list(src.due.default)
    rows = [(label(s), *(clock(ruleset.clocks.get((s, p))) for p in priorities)) for s in src.services]
    sections.append(Section("due", "How soon each service must accept a request", [
        f"A request is due by {src.due.time} ({src.due.timezone}) on the last day; working days leave out weekends"
        f" and bank holidays ({src.due.holidays_country}"
        f"{'-' + src.due.holidays_subdivision if src.due.holidays_subdivision else ''}).",
        Table(("Service", *(label(p) for p in priorities)), tuple(rows))]))
    sections.append(Section("asks", "What we ask for, and why", [
        "When something below is missing, the requests it affects wait until it is given.",
        asks or ["Nothing."]]))
    sections.append(Section("consent", "Consent, by age", [consent or ["No rule holds requests back for consent."]]))
    if scope:
        sections.append(Section("scope", "Who we cannot help here", [scope]))
    boost = src.boost
    sections.append(Section("raises", "What raises priority", [
        "Raising means " + ", ".join(f"{label(a).lower()} becomes {label(b).lower()}" for a, b in boost.raise_.items())
        + (f", except at {', '.join(label(s) for s in boost.exempt_services)}" if boost.exempt_services else "")
        + ". A request is raised once, however many reasons apply.",
        raises or ["Nothing raises priority."]]))
    exempt = [label(s) for s in src.hold.exempt_services] + [f"{label(p).lower()} requests"
                                                              for p in src.hold.exempt_priorities]
    sections.append(Section("safeguarding", "What a safeguarding concern does to other routes", [
        safeguarding or ["No rule holds other requests."],
        f"Held requests wait for that decision; these are never held: {', '.join(exempt) or 'none'}."]))
    dsr = src.dsr
    sections.append(Section("dsr", "The Dynamic Support Register", [
        f"A child may be on the register when {say(dsr.candidate.when)}. {_because(dsr.candidate.because)}",
        [f"{label(r.rating)} rating: {_when(r.when, say)}. {_because(r.because)}" for r in dsr.ratings],
        [f"Consent {label(r.consent).lower()}: {_when(r.when, say)}. {_because(r.because)}" for r in dsr.consent]]))
    sections.append(Section("sharing", "What each service is told", [
        [f"{label(s)}: {', '.join(label(f) for f in fields)}." for s, fields in src.sharing.items()]]))
    sections.append(Section("advice", "Advice without a referral", [
        f"A question is answered within {src.advice.answer_within_working_days} working days. When the concerns it"
        " names point to one service below, it goes to that service's advice list too; otherwise the front door's.",
        [f"{label(a.service)}: {', '.join(label(c) for c in a.concerns)}." for a in src.advice.services]]))
    return Explanation(src.ruleset, ruleset.version, src.description, sections)


def _blocks_md(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, str):
            out += [b, ""]
        elif isinstance(b, Table):
            out += ["| " + " | ".join(b.head) + " |", "|" + "---|" * len(b.head)]
            out += ["| " + " | ".join(r) + " |" for r in b.rows] + [""]
        else:
            out += [f"- {item}" for item in b] + [""]
    return out


def markdown(doc: Explanation) -> str:
    lines = [f"# How we decide: {doc.name} {doc.version}", "", doc.description, ""]
    for s in doc.sections:
        lines += [f"## {s.heading}", "", *_blocks_md(s.blocks)]
        for p in s.parts:
            lines += [f"### {p.heading}", "", *_blocks_md(p.blocks)]
    return "\n".join(lines).rstrip() + "\n"


def _blocks_html(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, str):
            out.append(f'<p class="govuk-body">{escape(b)}</p>')
        elif isinstance(b, Table):
            head = "".join(f'<th scope="col" class="govuk-table__header">{escape(h)}</th>' for h in b.head)
            body = "".join('<tr class="govuk-table__row">' + "".join(
                (f'<th scope="row" class="govuk-table__header">{escape(c)}</th>' if i == 0 else
                 f'<td class="govuk-table__cell">{escape(c)}</td>') for i, c in enumerate(r)) + "</tr>" for r in b.rows)
            out.append(f'<table class="govuk-table"><thead class="govuk-table__head"><tr class="govuk-table__row">'
                       f'{head}</tr></thead><tbody class="govuk-table__body">{body}</tbody></table>')
        else:
            out.append('<ul class="govuk-list govuk-list--bullet">'
                       + "".join(f"<li>{escape(i)}</li>" for i in b) + "</ul>")
    return out


def html(doc: Explanation) -> str:
    """A whole page (for `rules explain --format html`), GOV.UK classes, no script and no style attribute."""
    title = escape(f"How we decide: {doc.name} {doc.version}")
    body = [f'<h1 class="govuk-heading-xl">{title}</h1>', f'<p class="govuk-body-l">{escape(doc.description)}</p>']
    for s in doc.sections:
        body += [f'<h2 class="govuk-heading-l" id="{s.id}">{escape(s.heading)}</h2>', *_blocks_html(s.blocks)]
        for p in s.parts:
            body += [f'<h3 class="govuk-heading-m" id="{p.id}">{escape(p.heading)}</h3>', *_blocks_html(p.blocks)]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>' + title + "</title></head>\n"
            '<body class="govuk-template__body"><main class="govuk-main-wrapper">\n' + "\n".join(body)
            + "\n</main></body></html>\n")


def body_html(doc: Explanation) -> list[tuple[Section, list[str], list[tuple[Section, list[str]]]]]:
    """Each section with its blocks already as escaped HTML (the portal page's template places them)."""
    return [(s, _blocks_html(s.blocks), [(p, _blocks_html(p.blocks)) for p in s.parts]) for s in doc.sections]


def rule_names(ruleset: Ruleset) -> dict[str, str]:
    """Each rule's id and its name in words: its reason (`because`), each `{fact}` in words. A report that counts
    rules by id (the front door's disagreement, the what-if) shows the name, with the id in small print."""
    src = ruleset.source
    rules: list[m.Rule | m.FallThroughRule | m.DsrRule] = [*(r for stage in src.stages for r in stage.rules),
                                                           src.fall_through, src.dsr.candidate, *src.dsr.ratings,
                                                           *src.dsr.consent]
    return {rule.id: _because(rule.because) for rule in rules}
