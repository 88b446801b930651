"""'How we decide' (issue 15, item 4): the ruleset in plain English is read off the file. Every route, priority,
due time and consent age in the shipped ruleset appears (found by walking the ruleset's data, not from a list
written here), and changing a threshold or a due time in a copy of the file changes the output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from schemas.labels import label
from services.cli import app
from services.policy import ruleset_model as m
from services.policy.ruleset import load_ruleset
from services.policy.ruleset.explain import clock, explain, html, markdown
from tests.cases import reference_ruleset

SHIPPED = load_ruleset()


def _conditions(node: Any) -> list[Any]:
    """Every condition under a node of the ruleset model (named conditions are reached through `is`)."""
    found = [node]
    if isinstance(node, m.AllOf):
        found += [c for p in node.all for c in _conditions(p)]
    elif isinstance(node, m.AnyOf):
        found += [c for p in node.any for c in _conditions(p)]
    elif isinstance(node, m.NotOf):
        found += _conditions(node.not_)
    elif isinstance(node, m.Is):
        found += _conditions(SHIPPED.source.conditions[node.is_])
    return found


def _section(text: str, heading: str) -> str:
    start = text.index(f"## {heading}")
    end = text.find("\n## ", start + 3)
    return text[start:end if end > 0 else None]


def test_every_route_with_its_priority_and_due_time_appears_under_its_service() -> None:
    text = markdown(explain(SHIPPED))
    routes = [(rule, a.route) for s in SHIPPED.source.stages for rule in s.rules for a in rule.then
              if isinstance(a, m.RouteAction)]
    assert len(routes) >= 10
    where = _section(text, "Where a referral goes")
    for rule, r in routes:
        line = next(x for x in where.splitlines() if f"(rule {rule.id})" in x)
        # the line sits under its service's heading
        assert where.rindex(f"### {label(r.service)}", 0, where.index(line)) >= 0
        due_by = SHIPPED.source.due
        due = clock(due_by.services.get(r.service, {}).get(r.priority) or due_by.default[r.priority])
        assert line.startswith(f"- {label(r.pathway)} pathway, {label(r.priority).lower()} priority, due within {due}:")


def test_every_due_time_in_the_file_appears_in_the_table() -> None:
    text = _section(markdown(explain(SHIPPED)), "How soon")
    due = SHIPPED.source.due
    clocks = [(svc, p, c) for p, c in due.default.items() for svc in SHIPPED.source.services
              if p not in due.services.get(svc, {})]
    clocks += [(svc, p, c) for svc, by in due.services.items() for p, c in by.items()]
    for svc, p, c in clocks:
        row = next(x for x in text.splitlines() if x.startswith(f"| {label(svc)} |"))
        column = ["Service", *(label(q) for q in due.default)].index(label(p))
        assert row.split(" | ")[column].strip(" |") == (f"{c.hours} hours" if c.hours else
                                                       f"{c.working_days} working day" + ("s" if c.working_days != 1
                                                                                          else ""))


def test_every_consent_age_and_every_priority_appears() -> None:
    text = markdown(explain(SHIPPED))
    consent = _section(text, "Consent, by age")
    ages = {c.ge.value for s in SHIPPED.source.stages for rule in s.rules
            if any(isinstance(a, m.DropRoutesAction) for a in rule.then)
            for c in _conditions(rule.when) if isinstance(c, m.Ge) and c.ge.fact == "age"}
    assert ages == {13, 16}  # the shipped file's: found by walking it
    for age in ages:
        assert f"the child's age is {age} or over" in consent
    register = _section(text, "The Dynamic Support Register")
    dsr_ages = {c.ge.value for r in SHIPPED.source.dsr.consent for c in _conditions(r.when)
                if isinstance(c, m.Ge) and c.ge.fact == "age"}
    assert dsr_ages == {16}
    for age in dsr_ages:
        assert f"the child's age is {age} or over" in register
    for priority in {a.route.priority for s in SHIPPED.source.stages for r in s.rules for a in r.then
                     if isinstance(a, m.RouteAction)} | set(SHIPPED.source.due.default):
        assert f"{label(priority).lower()} priority" in text or f"| {label(priority)} |" in text
    boosting = [r for s in SHIPPED.source.stages for r in s.rules if any(isinstance(a, m.BoostAction) for a in r.then)]
    assert boosting
    for rule in boosting:
        assert f"(rule {rule.id})" in _section(text, "What raises priority")
    assert "(rule safeguarding.mash)" in _section(text, "What a safeguarding concern does")


def test_the_fall_through_rule_is_explained_with_its_own_words() -> None:
    fall = SHIPPED.source.fall_through
    assert f"{fall.because} (rule {fall.id})" in _section(markdown(explain(SHIPPED)), "When no rule applies")


def _changed_copy(tmp_path: Path) -> Path:
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": 60}
    data["conditions"]["consent_for_health_services"]["any"][1]["all"][1]["ge"]["value"] = 14
    path = tmp_path / "proposed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_changing_a_due_time_and_a_consent_age_changes_the_markdown_and_the_html(tmp_path: Path) -> None:
    changed = explain(load_ruleset(_changed_copy(tmp_path)))
    before, after = markdown(explain(SHIPPED)), markdown(changed)
    assert "| Speech and language therapy | 4 hours | 5 working days | 10 working days | 90 working days |" in before
    assert "| Speech and language therapy | 4 hours | 5 working days | 10 working days | 60 working days |" in after
    assert "Community pathway, routine priority, due within 60 working days" in after
    assert "the child's age is 13 or over" in _section(before, "Consent, by age")
    assert "the child's age is 13 or over" not in _section(after, "Consent, by age")
    assert "the child's age is 14 or over" in _section(after, "Consent, by age")
    assert "60 working days" in html(changed) and "60 working days" not in html(explain(SHIPPED))


def test_the_command_prints_markdown_or_html_of_the_file_given(tmp_path: Path) -> None:
    runner = CliRunner()
    shipped = runner.invoke(app, ["rules", "explain"])
    assert shipped.exit_code == 0 and shipped.stdout.startswith("# How we decide")
    assert "90 working days" in shipped.stdout
    changed = runner.invoke(app, ["rules", "explain", str(_changed_copy(tmp_path)), "--format", "html"])
    assert changed.exit_code == 0 and changed.stdout.startswith("<!DOCTYPE html>")
    assert "60 working days" in changed.stdout and "90 working days" not in changed.stdout
    assert "<script" not in changed.stdout and "style=" not in changed.stdout
    assert runner.invoke(app, ["rules", "explain", "--format", "pdf"]).exit_code != 0
