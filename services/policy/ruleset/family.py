"""'How we decide' for families (issue 22, item 13): pure. `for_families(ruleset)` reads the same loaded file as
`explain` and says it in short sentences: per service, when we send a request there and how soon it is looked at;
no rule ids and no nested logic. A rule's condition is turned into alternatives ("any of these": bullets) of
plain conditions, and each `not` into a "but not when" sentence; named conditions are written out. Nothing here is
written by hand about the policy: change the file and this page changes with it. `explain` stays the exact version."""

from __future__ import annotations

from itertools import product
from typing import Any

from schemas.labels import label
from services.policy import ruleset_model as m
from services.policy.ruleset.compiled import Ruleset
from services.policy.ruleset.explain import Block, Explanation, Section, clock

Literal = tuple[Any, bool]  # a plain condition and whether it is negated
Ways = list[list[Literal]]  # alternatives, each a list of conditions that must all hold

# How a fact reads in a sentence for a family; a fact not here reads as its label.
SETS = {  # (one or a few members, many members)
    "concerns": ("the request is about {}", "the request is about a need such as {}"),
    "risks": ("the request mentions {}", "the request mentions a risk such as {}"),
    "diagnoses": ("the child has {}", "the child has a diagnosis such as {}"),
    "known_services": ("{} already works with the child", "a service such as {} already works with the child"),
    "open_services": ("{} already has a request open for the child",
                      "a service such as {} already has a request open for the child"),
}
YES_NO = {
    "child_aware": ("the child knows about the request", "the child does not know about the request"),
    "has_mhst": ("the child's school has a Mental Health Support Team",
                 "the child's school does not have a Mental Health Support Team"),
    "safeguarding_pending": ("the safeguarding hub is still deciding about an earlier worry",
                             "the safeguarding hub is not deciding about an earlier worry"),
}
IS = {
    "impact": "the effect on the child's daily life is {}", "duration": "it has gone on for {}",
    "channel": "the request came by {}", "referrer_role": "the person asking is {}",
    "semh_level": "the mental health need we found is {}",
}
# A value that reads best as a sentence of its own ("a parent with parental responsibility agreed").
SAID = {
    "basis": {"parent_with_pr": "a parent with parental responsibility agreed",
              "best_interests": "a best-interests decision was made", "young_person": "the young person agreed",
              "not_sought_safeguarding": "nobody was asked to agree, for safeguarding reasons",
              "none": "nobody has agreed yet"},
    "sen_status": {"none": "the child has no extra support at school", "sen_support": "the child has SEN support",
                   "ehcp": "the child has an EHC plan"},
    "social_care_status": {"none": "social care does not work with the child",
                           "early_help": "the family already gets early help",
                           "child_in_need": "the child is a child in need",
                           "child_protection": "the child has a child protection plan",
                           "looked_after": "the child is looked after",
                           "care_leaver": "the young person is a care leaver"},
}
NUMBERS = {  # a number as words: (what it is, how a value reads)
    "age": ("the child is", "{}"), "year_group": ("the child is in", "year {}"),
    "prior": ("the number of requests in the last year is", "{}"),
}
Comparison = type[m.Lt] | type[m.Le] | type[m.Gt] | type[m.Ge]
COMPARE: dict[Comparison, str] = {m.Lt: "under {}", m.Le: "{} or under", m.Gt: "over {}", m.Ge: "{} or over"}
OPPOSITE: dict[Comparison, Comparison] = {m.Lt: m.Ge, m.Ge: m.Lt, m.Le: m.Gt, m.Gt: m.Le}
SOON = {"emergency": "This is an emergency.", "urgent": "This is urgent.", "soon": "This is needed soon."}
MANY = 4  # more members than this: "such as" the first three


def _small(words: str) -> str:
    """Words inside a sentence: a small first letter, unless the first word is an acronym (CAMHS, A&E, MASH) or the
    words are a name (Mental Health Support Team)."""
    first, *rest = words.split(" ")
    named = sum(c.isupper() for c in first) > 1 or rest[:1] != [] and rest[0][:1].isupper()
    return words if named else words[:1].lower() + words[1:]


def _or(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} or {items[-1]}" if len(items) > 1 else "".join(items)


def _and(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} and {items[-1]}" if len(items) > 1 else "".join(items)


class _Plain:
    """A ruleset's conditions as alternatives of plain conditions, and each plain condition in words."""

    def __init__(self, source: m.RulesetFile) -> None:
        self.source = source
        self.because = {r.id: r.because for s in source.stages for r in s.rules}

    def ways(self, c: Any, negated: bool = False) -> Ways:  # noqa: PLR0911 - one case per kind of condition
        """`c` (negated or not) as alternatives: `any` gives several, `all` one for each choice from its parts,
        `not` turns the one into the other (De Morgan); a named condition is read in full."""
        if isinstance(c, m.AllOf | m.AnyOf):
            parts = [self.ways(p, negated) for p in (c.all if isinstance(c, m.AllOf) else c.any)]
            if isinstance(c, m.AllOf) != negated:  # every part: one choice from each
                return [[lit for way in choice for lit in way] for choice in product(*parts)]
            return [way for part in parts for way in part]
        if isinstance(c, m.NotOf):
            return self.ways(c.not_, not negated)
        if isinstance(c, m.Is):
            return self.ways(self.source.conditions[c.is_], negated)
        if isinstance(c, m.Always):
            return [] if negated else [[]]
        if type(c) in OPPOSITE and negated:  # "not under 18" is "18 or over"
            opposite = OPPOSITE[type(c)]
            return [[(opposite(**{opposite.TAG: getattr(c, c.TAG)}), False)]]
        if isinstance(c, m.Eq) and isinstance(c.eq.value, bool) and negated:
            return [[(m.Eq(eq=m.FactValue(fact=c.eq.fact, value=not c.eq.value)), False)]]
        return [[(c, negated)]]

    def members(self, test: m.SetTest) -> list[str]:
        codes = list(self.source.groups.get(test.group, [])) if test.group else list(test.values or [])
        return [_small(label(code)) for code in codes if code not in test.except_]

    def words(self, c: Any) -> str:  # noqa: PLR0911 - one case per kind of condition
        """One plain condition in words (never negated: `sentence` says "but not when")."""
        if isinstance(c, m.Intersects | m.Contains):
            fact = c.intersects.fact if isinstance(c, m.Intersects) else c.contains.fact
            names = self.members(c.intersects) if isinstance(c, m.Intersects) else [_small(label(c.contains.value))]
            few, many = SETS[fact]  # every fact a set test may name (check.py)
            return many.format(_or(names[:3])) if len(names) > MANY else few.format(_or(names))
        if isinstance(c, m.Eq | m.In):
            fact, values = (c.eq.fact, [c.eq.value]) if isinstance(c, m.Eq) else (c.in_.fact, list(c.in_.values))
            if fact in YES_NO and isinstance(values[0], bool):
                return YES_NO[fact][0 if values[0] else 1]
            if fact in NUMBERS:
                what, value = NUMBERS[fact]
                return f"{what} {_or([value.format(v) for v in values])}"
            if fact in SAID and all(str(v) in SAID[fact] for v in values):
                return _or([SAID[fact][str(v)] for v in values])
            said = _or([_small(label(v)) for v in values])
            return IS.get(fact, f"{_small(label(fact))} is {{}}").format(said)  # a council's own variable: its name
        if isinstance(c, _Between):
            what, value = NUMBERS[c.fact]  # every fact a comparison may name (check.py)
            return f"{what} {value.format(c.low)} to {value.format(c.high)}"
        if type(c) in COMPARE:
            test = getattr(c, c.TAG)
            what, value = NUMBERS[test.fact]
            return f"{what} {COMPARE[type(c)].format(value.format(test.value))}"
        if isinstance(c, m.HasRoute):
            services = c.has_route.services or []
            return f"we send a request to {_or([_small(label(s)) for s in services])}" if services else (
                "we send a request to a service")
        if isinstance(c, m.Fired):
            return _small(self.because[c.fired].rstrip("."))
        raise AssertionError(f"unhandled condition {type(c).__name__}")

    def sentence(self, way: list[Literal]) -> str:
        """One alternative: its conditions joined by "and", then "but not when" for each negated one. Two bounds on
        one number read as one ("aged 5 to 17"), the tighter of two alike as itself ("25 or over", not "18 or over
        and 25 or over")."""
        seen: list[Literal] = []
        for lit in _bounded(way):
            if lit not in seen:
                seen.append(lit)
        positive = [self.words(c) for c, negated in seen if not negated]
        negative = [self.words(c) for c, negated in seen if negated]
        text = _and(positive) if positive else "in any case"
        return text + (f", but not when {' or when '.join(negative)}" if negative else "")


class _Between:
    """`fact` from `low` to `high`, both included (two bounds on one number, read together)."""

    def __init__(self, fact: str, low: int, high: int) -> None:
        self.fact, self.low, self.high = fact, low, high

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Between) and (self.fact, self.low, self.high) == (other.fact, other.low, other.high)

    __hash__ = None  # type: ignore[assignment]


def _bounded(way: list[Literal]) -> list[Any]:
    """The alternative with each number's bounds merged: the highest lower bound and the lowest upper bound of a
    fact (as whole numbers: "over 4" is "5 or over"), one condition "from low to high" when it has both."""
    low: dict[str, tuple[int, Any]] = {}  # fact -> (the bound as a whole number, its condition)
    high: dict[str, tuple[int, Any]] = {}
    for c, negated in way:
        if type(c) in COMPARE and not negated:
            t = getattr(c, c.TAG)
            if isinstance(c, m.Ge | m.Gt):
                bound = t.value + isinstance(c, m.Gt)
                low[t.fact] = max(low.get(t.fact, (bound, c)), (bound, c), key=lambda b: b[0])
            else:
                bound = t.value - isinstance(c, m.Lt)
                high[t.fact] = min(high.get(t.fact, (bound, c)), (bound, c), key=lambda b: b[0])
    out: list[Any] = []
    for c, negated in way:
        fact = getattr(c, c.TAG).fact if type(c) in COMPARE and not negated else None
        if fact is None:
            out.append((c, negated))
        elif fact in low and fact in high:
            out.append((_Between(fact, low.pop(fact)[0], high.pop(fact)[0]), False))
        elif fact in low or fact in high:
            out.append(((low.pop(fact, None) or high.pop(fact))[1], False))
    return out


def _when(lead: str, ways: Ways, plain: _Plain) -> list[Block]:
    """"<lead> when A." for one alternative; "<lead> when any of these is true:" and a bullet each for several."""
    if len(ways) == 1:
        return [f"{lead} when {plain.sentence(ways[0])}."]
    return [f"{lead} when any of these is true:", [plain.sentence(w) for w in ways]]


def _needs(when: Any, dropped: m.RouteSelector, plain: _Plain) -> list[Block]:
    """A rule that drops requests unless something holds ("`has_route` and not C"): "We can send a request to X
    only when C". Without a `not` part, the rule's whole condition is when it is not sent."""
    parts = when.all if isinstance(when, m.AllOf) else [when]
    unless = [w for p in parts if isinstance(p, m.NotOf) for w in plain.ways(p.not_)]
    services = _or([_small(label(s)) for s in dropped.services or []]) or "a service"
    if unless:
        return _when(f"We can send a request to {services} only", unless, plain)
    return _when(f"We do not send a request to {services}", plain.ways(when), plain)


def _how_soon(ruleset: Ruleset, service: str, priority: str) -> str:
    return f"{SOON.get(priority, '')} The service looks at it within {clock(ruleset.clocks.get((service, priority)))}."


def for_families(ruleset: Ruleset) -> Explanation:
    """The ruleset in short sentences for a child's family: a section per service, then what needs agreement,
    what makes a request sooner, what makes other requests wait, who we cannot help, and what happens when no
    service fits."""
    src = ruleset.source
    plain = _Plain(src)
    by_service: dict[str, dict[str, list[Block]]] = {s.value: {} for s in src.services}
    agreement: list[Block] = []
    sooner: Ways = []
    waits: Ways = []
    cannot: list[Block] = []
    for stage in src.stages:
        for rule in stage.rules:
            ways = plain.ways(rule.when)
            for action in rule.then if ways else []:  # a rule that can never apply says nothing
                if isinstance(action, m.RouteAction):
                    r = action.route
                    by_service[r.service].setdefault(r.pathway, []).extend([
                        *_when(f"We send a request to {_small(label(r.service))}", ways, plain),
                        _how_soon(ruleset, r.service, r.priority).strip()])
                elif isinstance(action, m.DropRoutesAction):
                    agreement += _needs(rule.when, action.drop_routes, plain)
                elif isinstance(action, m.BoostAction):
                    sooner += ways
                elif isinstance(action, m.HoldOthersAction):
                    waits += ways
                elif isinstance(action, m.OutcomeAction) and action.outcome == "out_of_scope":
                    cannot += _when("We cannot help here", ways, plain)
    sections = [Section(f"service-{s}", label(s), [], [Section(f"service-{s}-{p}", label(p), blocks)
                                                     for p, blocks in pathways.items()])
                for s, pathways in by_service.items() if pathways]
    if agreement:
        sections.append(Section("agreement", "When we need agreement", agreement))
    raise_ = _and([f"{_small(label(a))} becomes {_small(label(b))}" for a, b in src.boost.raise_.items()])
    if sooner:
        sections.append(Section("sooner", "When a request is looked at sooner",
                                [*_when(f"A request is looked at sooner ({raise_})", sooner, plain)]))
    exempt = _or([_small(label(s)) for s in src.hold.exempt_services]) or "the safeguarding hub"
    if waits:
        sections.append(Section("waiting", "When other requests wait",
                                _when(f"Other requests wait for {exempt} to decide first", waits, plain)))
    if cannot:
        sections.append(Section("cannot-help", "Who we cannot help here", cannot))
    sections.append(Section("no-service", "When no service fits", [_filled(src.fall_through.because)]))
    sections.append(Section("how-long", "How long it takes", _times(ruleset)))
    return Explanation(src.ruleset, ruleset.version, src.description, sections)


def _filled(text: str) -> str:
    """A rule's reason with each `{fact}` in words ("the child's age")."""
    from services.policy.ruleset.explain import FACTS  # noqa: PLC0415 - the same words as the exact version

    for name, words in FACTS.items():
        text = text.replace("{" + name + "}", words)
    return text


def _times(ruleset: Ruleset) -> list[Block]:
    src = ruleset.source
    due = src.due
    hour, minute = (int(x) for x in due.time.split(":"))
    ends = f"{hour % 12 or 12}{f':{minute:02d}' if minute else ''}{'am' if hour < 12 else 'pm'}"  # noqa: PLR2004
    rows = [f"{label(s)}: " + ", ".join(f"{_small(label(p))} within {clock(ruleset.clocks.get((s.value, p.value)))}"
                                         for p in due.default) + "." for s in src.services]
    return ["Each service looks at a request within the time for how soon it is needed.", rows,
            f"Working days are Monday to Friday, but not bank holidays. A working day ends at {ends}."]


def plain_text(doc: Explanation) -> str:
    """Every word of the page, a sentence per paragraph and per bullet (for a reading-ease score)."""
    out: list[str] = []
    for section in [s for top in doc.sections for s in (top, *top.parts)]:
        for block in [section.heading, *section.blocks]:
            for item in [block] if isinstance(block, str) else list(block) if isinstance(block, list) else []:
                out.append(item if item.endswith((".", ":", "?")) else item + ".")
    return "\n".join(out)
