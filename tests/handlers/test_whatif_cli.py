"""`frontdoor rules whatif` over referrals stored by intake on a migrated SQLite database: every count in its
report checked against the same comparison made here, independently, from the stored events."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from schemas import Referral, ReferralSubmitted, TriageDecision
from schemas.referral import LONDON
from services.cli import app as cli
from services.common.db import make_engine
from services.common.settings import get_settings
from services.common.tables import OutboxMessage
from services.demo import demo_referrals, front_door_referrals, sample_import_csv
from services.intake.referrals import bulk, handlers
from services.intake.tables import FrontDoorDecision, ServiceRequestRecord
from services.policy.engine import decide
from services.policy.ruleset import DEFAULT_RULESET, load_ruleset
from tests.cases import reference_ruleset, write_whatif_proposal
from tests.handlers.conftest import NOW, principal

WEEK = timedelta(days=7)
ORDER = ["routine", "soon", "urgent", "emergency"]


def store(engine: Engine) -> int:
    """600 referrals from the sample import file over six weeks, then 240 of the same children again
    (so their events carry prior referrals in their history), and the demo referrals."""
    text = sample_import_csv(600, 0, today=NOW.date())
    checked = bulk.check(text, today=NOW.date())
    assert len(checked.valid) == 600
    for week in range(6):
        with Session(engine) as s:
            handlers.import_checked(s, checked.valid[week * 100:(week + 1) * 100], by=principal("school-a", "referrer"),
                                    now=NOW + week * WEEK + timedelta(hours=week))
            s.commit()
    with Session(engine) as s:
        handlers.import_checked(s, checked.valid[:240], by=principal("school-b", "referrer"), now=NOW + 8 * WEEK)
        s.commit()
    # the demo database's referrals too: risks, emergencies, out of scope, missing information, DSR candidates
    bodies = demo_referrals(NOW.date()) + list(front_door_referrals(NOW.date()).values())
    with Session(engine) as s:
        for body in bodies:
            referral = Referral.model_validate(body, context={"as_of": NOW.astimezone(LONDON).date()})
            assert handlers.submit(s, referral, by=principal("demo", "referrer"), now=NOW + 2 * WEEK).created
        s.commit()
    return 840 + len(bodies)


@pytest.fixture(scope="module")
def stored_database(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The referrals stored once for the module (storing them is most of a test's time); each test gets a copy."""
    path = tmp_path_factory.mktemp("whatif") / "frontdoor.db"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        return path, store(engine)
    finally:
        engine.dispose()


@pytest.fixture
def engine(stored_database: tuple[Path, int], tmp_path: Path) -> Iterator[Engine]:
    """A copy of the stored referrals of its own (the handler tier's engine, with the referrals in it)."""
    path = tmp_path / "frontdoor.db"
    shutil.copy(stored_database[0], path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def stored(stored_database: tuple[Path, int]) -> int:
    """How many referrals store() stored."""
    return stored_database[1]


def stored_events(engine: Engine) -> list[ReferralSubmitted]:
    with Session(engine) as s:
        payloads = s.exec(select(OutboxMessage.payload)).all()
    return [ReferralSubmitted.model_validate_json(p) for p in payloads if '"referral.submitted"' in p]


def proposed(tmp_path: Path) -> Path:
    """The shipped ruleset with SALT's routine clock lengthened and anxiety taken out of the SEMH group."""
    return write_whatif_proposal(tmp_path)


def run(engine: Engine, *args: str) -> Any:
    get_settings.cache_clear()  # the command reads DATABASE_URL
    try:
        return CliRunner().invoke(cli, ["rules", "whatif", *args], env={"DATABASE_URL": str(engine.url)})
    finally:
        get_settings.cache_clear()


def expected(events: list[ReferralSubmitted], old: Any, new: Any) -> dict[str, Any]:
    """The comparison written out again, plainly: decide each event under both rulesets and compare."""
    classes: Counter[str] = Counter()
    changed = 0
    services: dict[str, dict[str, Counter[str]]] = {}
    fired: dict[str, Counter[str]] = {"before": Counter(), "after": Counter()}
    for e in events:
        a: TriageDecision = decide(e, old)
        b: TriageDecision = decide(e, new)
        ra = {str(r.service): r for r in reversed(a.routes)}  # the first route per service wins
        rb = {str(r.service): r for r in reversed(b.routes)}
        these = set()
        if a.outcome != b.outcome:
            these.add("outcome_changed")
        if set(rb) - set(ra):
            these.add("route_added")
        if set(ra) - set(rb):
            these.add("route_removed")
        for s in set(ra) & set(rb):
            x, y = ra[s], rb[s]
            these |= {"pathway_changed"} if x.pathway != y.pathway else set()
            pa, pb = ORDER.index(str(x.priority)), ORDER.index(str(y.priority))
            these |= {"priority_up"} if pb > pa else {"priority_down"} if pb < pa else set()
            these |= {"due_date_moved"} if x.due_by != y.due_by else set()
            these |= {"held_changed"} if x.held != y.held else set()
        if a.dsr.candidate != b.dsr.candidate or a.dsr.suggested_rating != b.dsr.suggested_rating:
            these.add("dsr_changed")
        if set(a.missing) != set(b.missing):
            these.add("missing_changed")
        changed += bool(these)
        classes.update(these)
        for when, d in (("before", a), ("after", b)):
            for r in d.routes:
                counts = services.setdefault(str(r.service), {"before": Counter(), "after": Counter()})
                counts[when][str(r.priority)] += 1
            fired[when].update({x.rule_id for x in d.explanation})
    return {"changed": changed, "classes": classes, "services": services, "fired": fired}


def test_whatif_counts_match_an_independent_replay_of_the_stored_events(engine: Engine, stored: int,
                                                                        tmp_path: Path) -> None:
    db = Path(str(engine.url.database))
    before_bytes = hashlib.sha256(db.read_bytes()).hexdigest()
    events = stored_events(engine)
    assert len(events) == stored >= 850
    assert sum(bool(e.history.model_dump(exclude_defaults=True)) for e in events) >= 240  # history facts carried

    done = run(engine, str(proposed(tmp_path)), "--format", "json")
    assert done.exit_code == 0, done.output + str(done.exception)
    report = json.loads(done.stdout)
    want = expected(events, load_ruleset(DEFAULT_RULESET), load_ruleset(proposed(tmp_path)))

    assert report["referrals"] == stored
    assert report["changed"] == want["changed"]
    assert report["changes"] == {c: want["classes"][c] for c in report["changes"]}
    assert set(report["changes"]) == {"outcome_changed", "route_added", "route_removed", "pathway_changed",
                                      "priority_up", "priority_down", "due_date_moved", "held_changed",
                                      "dsr_changed", "missing_changed"}
    # the two changes show: SALT's routine requests move their due date; anxiety alone no longer goes to SEMH
    assert report["changes"]["due_date_moved"] > 0
    assert report["changes"]["route_removed"] + report["changes"]["pathway_changed"] > 0
    assert report["changed"] > 0
    assert report["services"].keys() == want["services"].keys()
    for service, got in report["services"].items():
        for when in ("before", "after"):
            counted = want["services"][service][when]
            assert got[when]["by_priority"] == {p: counted[p] for p in ORDER[::-1]}
            assert got[when]["total"] == sum(counted.values())
            assert got[when]["per_week"] == round(sum(counted.values()) / (57 / 7), 2)
    moved = {r: (want["fired"]["before"][r], want["fired"]["after"][r])
             for r in want["fired"]["before"].keys() | want["fired"]["after"].keys()
             if want["fired"]["before"][r] != want["fired"]["after"][r]}
    assert {r["rule_id"]: (r["before"], r["after"]) for r in report["rules"]} == moved
    assert moved
    for c, ids in report["examples"].items():
        assert len(ids) == min(10, want["classes"][c])
        assert set(ids) <= {str(e.referral_id) for e in events}
    # 9 weeks of submissions: 2026-03-04 to 2026-04-29
    assert report["period"] == {"first_day": "2026-03-04", "last_day": "2026-04-29", "weeks": round(57 / 7, 2)}
    assert report["reported_apart"] == {"overridden_by_a_person": 0, "redirected": 0}
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before_bytes  # nothing written


def test_the_shipped_ruleset_against_itself_changes_nothing(engine: Engine, stored: int) -> None:
    done = run(engine, str(DEFAULT_RULESET), "--baseline", str(DEFAULT_RULESET), "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["referrals"] == stored
    assert report["changed"] == 0
    assert set(report["changes"].values()) == {0}
    assert report["rules"] == []
    assert all(s["before"] == s["after"] for s in report["services"].values())


def test_since_and_until_choose_the_period(engine: Engine, stored: int, tmp_path: Path) -> None:
    demo = stored - 840  # submitted on 2026-03-18
    done = run(engine, str(proposed(tmp_path)), "--since", "2026-03-11", "--until", "2026-03-18", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["referrals"] == 100 + 100 + demo  # the imports of 03-11 and 03-18, the demo


def test_a_json_lines_export_gives_the_same_report(engine: Engine, tmp_path: Path) -> None:
    export = tmp_path / "events.jsonl"
    export.write_text("\n".join(e.model_dump_json() for e in stored_events(engine)) + "\n")
    from_db = run(engine, str(proposed(tmp_path)), "--format", "json")
    from_file = run(engine, str(proposed(tmp_path)), "--format", "json", "--events", str(export))
    assert from_file.exit_code == 0, from_file.output
    file_report, db_report = json.loads(from_file.stdout), json.loads(from_db.stdout)
    for r in (file_report, db_report):  # the database alone knows overrides, redirects and acceptance times
        r["reported_apart"] = {}
        for s in r["services"].values():
            s["breached"] = None
    assert file_report == db_report


def test_an_invalid_proposal_is_refused_with_its_problems_located(engine: Engine, tmp_path: Path) -> None:
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": "lots"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    done = run(engine, str(bad))
    assert done.exit_code == 1
    assert "due.services.salt.routine" in done.stderr


def test_the_table_and_csv_formats(engine: Engine, tmp_path: Path) -> None:
    table = run(engine, str(proposed(tmp_path)))
    assert table.exit_code == 0, table.output
    assert "referrals from 2026-03-04" in table.stdout and "due_date_moved" in table.stdout
    csv_out = run(engine, str(proposed(tmp_path)), "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == "section,key,detail,before,after"
    assert "replaying" in csv_out.stderr  # the progress bar, on standard error


def test_overrides_and_redirects_are_reported_apart(engine: Engine, tmp_path: Path) -> None:
    events = stored_events(engine)
    overridden, redirected = events[3], events[7]
    with Session(engine) as s:
        s.add(FrontDoorDecision(id=uuid.uuid4(), referral_id=overridden.referral_id, child_id=overridden.child_id,
                                decided_by="fd-1", decided_at=NOW, rationale="r", supersedes=uuid.uuid4()))
        for rid in (redirected.referral_id, redirected.referral_id):  # two redirected requests: one referral
            s.add(ServiceRequestRecord(id=uuid.uuid4(), referral_id=rid, child_id=redirected.child_id,
                                       service="semh", pathway="early", priority="routine", due_by=NOW,
                                       redirect_of=uuid.uuid4()))
        s.commit()
    done = run(engine, str(proposed(tmp_path)), "--format", "json")
    assert json.loads(done.stdout)["reported_apart"] == {"overridden_by_a_person": 1, "redirected": 1}
    outside = run(engine, str(proposed(tmp_path)), "--format", "json", "--since", "2026-04-01")
    assert json.loads(outside.stdout)["reported_apart"] == {"overridden_by_a_person": 0, "redirected": 0}


def test_breaches_at_the_services_actual_acceptance_times(engine: Engine, tmp_path: Path) -> None:
    """SALT accepted 40 referrals 150 days after submission (its median, so every SALT route is judged by it): past
    the shipped 90 working days, within the proposed 120. Counselling accepted 20 the next day: never late."""
    events = stored_events(engine)
    old, new = load_ruleset(DEFAULT_RULESET), load_ruleset(proposed(tmp_path))
    accepted: dict[tuple[str, str], Any] = {}
    with Session(engine) as s:
        for service, delay, count in (("salt", timedelta(days=150), 40), ("counselling", timedelta(days=1), 20)):
            chosen = [e for e in events if any(str(r.service) == service for r in decide(e, old).routes)][:count]
            assert len(chosen) == count
            for e in chosen:
                accepted[(str(e.referral_id), service)] = e.submitted_at + delay
                s.add(ServiceRequestRecord(id=uuid.uuid4(), referral_id=e.referral_id, child_id=e.child_id,
                                           service=service, pathway="x", priority="routine", due_by=NOW,
                                           accepted_at=e.submitted_at + delay))
        s.commit()
    median = {"salt": timedelta(days=150), "counselling": timedelta(days=1)}
    late: dict[str, Counter[str]] = {"before": Counter(), "after": Counter()}
    for e in events:
        for when, ruleset in (("before", old), ("after", new)):
            for r in decide(e, ruleset).routes:
                service = str(r.service)
                at = accepted.get((str(e.referral_id), service)) or (
                    e.submitted_at + median[service] if service in median else None)
                if at is not None and at > r.due_by:
                    late[when][service] += 1
    done = run(engine, str(proposed(tmp_path)), "--format", "json")
    services = json.loads(done.stdout)["services"]
    for service, got in services.items():
        assert got["breached"] == {"before": late["before"][service], "after": late["after"][service]}
    assert late["before"]["salt"] > 0 and late["after"]["salt"] < late["before"]["salt"]
    assert services["counselling"]["breached"] == {"before": 0, "after": 0}


def test_the_html_format_is_tables_with_no_script_or_inline_style(engine: Engine, tmp_path: Path) -> None:
    report = json.loads(run(engine, str(proposed(tmp_path)), "--format", "json").stdout)
    page = run(engine, str(proposed(tmp_path)), "--format", "html")
    assert page.exit_code == 0, page.output
    html = page.stdout
    assert html.startswith("<!doctype html>") and "<script" not in html and "style=" not in html
    assert f"<td>due_date_moved</td><td>{report['changes']['due_date_moved']}</td>" in html
    semh = report["services"]["semh"]
    assert f"<td>semh</td><td>{semh['before']['total']}</td><td>{semh['after']['total']}</td>" in html
    assert "Demo" not in html and "Import Referrer" not in html  # ids only, never a name
