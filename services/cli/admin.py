"""Operating Front Door: migrations, topics, dead-letter topics (list, replay, discard) and the exported contracts."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from services.cli.apps import db_app, dlq_app, fail, schemas_app, topics_app


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations to DATABASE_URL."""
    from services.common.db import make_engine, migrate, wait_for_database
    from services.common.settings import get_settings

    settings = get_settings()
    wait_for_database(make_engine(settings.database_url), timeout=settings.startup_timeout_seconds)
    migrate(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@topics_app.command("create")
def topics_create() -> None:
    """Create every topic (KAFKA_TOPIC_PARTITIONS partitions each, dead-letter topics one); existing ones are kept."""
    import asyncio

    from services.common.settings import get_settings
    from services.topics import all_topics, ensure_topics

    settings = get_settings()
    wanted = all_topics(settings.kafka_topic_partitions)
    asyncio.run(ensure_topics(settings.kafka_bootstrap_servers, wanted, timeout=settings.startup_timeout_seconds))
    typer.echo(f"{len(wanted)} topics present on {settings.kafka_bootstrap_servers}")


def _dlq_session() -> Any:
    """A session on DATABASE_URL, where the discards and replays are kept."""
    from sqlmodel import Session

    from services.common.db import make_engine
    from services.common.settings import get_settings

    return Session(make_engine(get_settings().database_url))


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


@dlq_app.command("list")
def dlq_list(
    topic: Annotated[Optional[str], typer.Option(help="One dead-letter topic (default: every *.dlq topic).")] = None,
    sent_again: Annotated[bool, typer.Option(
        "--sent-again", help="List the events sent again and not failed since (who, when) instead.")] = False,
    discarded: Annotated[bool, typer.Option(
        "--discarded", help="List the discarded events (who, when, why) instead of those waiting.")] = False,
) -> None:
    """What is in the dead-letter topics: one line per event, however many times it failed.

    Each line: its id (partition:offset of its newest copy, for `dlq replay --ids`), event id, type, where it came from,
    how many times it failed and its last error (never its content). Only the events waiting are listed (never sent
    again, or failed again after their last replay) unless --sent-again (replayed and not failed since) or
    --discarded; the first line of each topic counts each. Reads the broker and, for discards and replays,
    DATABASE_URL."""
    import asyncio

    from services.common.dead_letters import State, shown
    from services.common.dlq_tools import dlq_topics, events, list_dead_letters
    from services.common.settings import get_settings

    if sent_again and discarded:
        fail("--sent-again or --discarded: one of them")
    bootstrap = get_settings().kafka_bootstrap_servers
    state: State = "sent_again" if sent_again else "discarded" if discarded else "waiting"

    async def run() -> None:
        for name in [topic] if topic else await dlq_topics(bootstrap):
            letters = {f"{d.partition}:{d.offset}": d for d in await list_dead_letters(bootstrap, name)}
            found = await events(bootstrap, name, _dlq_session)
            typer.echo(f"{name}: {len(letters)} record(s), {len(shown(found))} event(s) waiting, "
                       f"{len(shown(found, 'sent_again'))} sent again, {len(shown(found, 'discarded'))} discarded")
            for e in shown(found, state):
                last = letters.get(e.latest)
                where = f" [{last.original_partition}:{last.original_offset}]" if last else ""
                line = (f"  id {e.latest or '-'}  event {e.event_id}  {e.event_type or '?'}  from "
                        f"{e.original_topic or '?'}{where}  failed {_times(e.failures)}")
                if e.last_at:
                    line += f", last {e.last_at:%Y-%m-%d %H:%M} UTC"
                if last:
                    line += f"  {last.size} bytes  key#{last.key_hash}"
                if e.discarded is not None:
                    d = e.discarded
                    line += f"  discarded by {d.by_name or '?'} at {d.at:%Y-%m-%d %H:%M} UTC: {d.reason}"
                else:
                    line += f"  {e.last_error}"
                if e.replayed is not None and e.discarded is None:
                    r = e.replayed
                    line += f"  {'sent again' if e.state == 'sent_again' else 'last sent again'} on " \
                            f"{r.at:%Y-%m-%d %H:%M} UTC by {r.by_name or '?'}"
                typer.echo(line)

    asyncio.run(run())


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[str, typer.Option(help="The dead-letter topic, e.g. frontdoor.referrals.submitted.dlq.")],
    by: Annotated[str, typer.Option(help="Your name, as people read it (kept with the replay and shown).")],
    ids: Annotated[Optional[str], typer.Option(
        help="Comma-separated ids from `dlq list` (partition:offset); default: every event waiting (not those "
             "sent again: choose one by its id to send it again).")] = None,
) -> None:
    """Send dead-lettered events back to their original topic after a fix (never a discarded one).

    The newest copy of each event is sent once (consumers deduplicate). Each event sent is recorded in DATABASE_URL
    (dead_letter_replays: who, when, which copy) and the access audit records the replay (action dlq.replay, its
    record id the replay's); the event is then listed as sent again until it fails again. A discarded event is never
    sent: choosing one refuses the whole replay (exit 1)."""
    import asyncio
    import getpass
    import uuid

    from services.common.auth import Principal
    from services.common.db import make_engine
    from services.common.dlq_tools import DiscardedChosenError, events, replay, replay_recorded
    from services.common.settings import get_settings
    from services.common.tables import utcnow
    from services.common.transactions import NOBODY, Subject, run_audited

    if not by.strip():
        fail("--by: give your name")
    settings = get_settings()
    bootstrap = settings.kafka_bootstrap_servers
    chosen = {i.strip() for i in ids.split(",") if i.strip()} if ids else None
    found = asyncio.run(events(bootstrap, topic, _dlq_session))
    who = Principal(subject=f"cli:{getpass.getuser()}", roles=frozenset({"admin"}), name=by.strip())
    replay_id = uuid.uuid4()
    try:
        _, sent = run_audited(
            make_engine(settings.database_url),
            lambda s: replay_recorded(s, found, chosen, topic=topic, send=lambda copies: asyncio.run(
                replay(bootstrap, topic, copies)), replay_id=replay_id, by=who.subject, by_name=who.name, now=utcnow,
                refused=lambda e: f"event {e.event_id} (id {e.latest})"),
            by=who, action="dlq.replay", about=lambda done: Subject(record_id=replay_id) if done[0].events else NOBODY)
    except DiscardedChosenError as exc:
        fail("nothing replayed: discarded (it stays in the log but will not be offered again): "
             + ", ".join(f"event {e.event_id} (id {e.latest})" for e in exc.refused), 1)
        return
    typer.echo(f"replayed {sent} record(s) from {topic}")


@dlq_app.command("discard")
def dlq_discard(
    event_id: Annotated[str, typer.Option("--event-id", help="The event's id, as `dlq list` shows it (event ...).")],
    reason: Annotated[str, typer.Option(help="Why it can never succeed (at least 10 characters); shown to every "
                                             "administrator, so no child's or family's details.")],
    by: Annotated[str, typer.Option(help="Your name, as people read it (kept with the discard and shown).")],
    topic: Annotated[Optional[str], typer.Option(
        help="The dead-letter topic it is on (default: look in every *.dlq topic).")] = None,
) -> None:
    """Discard a dead-lettered event that can never succeed, with the reason.

    It stays in the log (a topic is append-only) but is never listed as waiting or replayed again. Who, when and why are
    kept in DATABASE_URL (dead_letter_discards) and the access audit records it (action dlq.discard)."""
    import asyncio
    import getpass
    import uuid

    from services.common.auth import Principal
    from services.common.db import make_engine
    from services.common.dlq_tools import discard, dlq_topics, events
    from services.common.errors import DomainError
    from services.common.settings import get_settings
    from services.common.tables import utcnow
    from services.common.transactions import Subject, run_audited

    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        fail("--event-id must be an event id as `frontdoor dlq list` shows it, like 3f2b6c1e-...")
        return
    if len(reason.strip()) < 10:  # noqa: PLR2004 - the API's shortest reason (services/intake/dead_letters)
        fail("--reason: say why you are discarding this event in 10 characters or more")
    if not by.strip():
        fail("--by: give your name")
    settings = get_settings()

    async def find() -> Any:
        for name in [topic] if topic else await dlq_topics(settings.kafka_bootstrap_servers):
            for event in await events(settings.kafka_bootstrap_servers, name, _dlq_session):
                if event.event_id == wanted and event.copies:
                    return event
        return None

    event = asyncio.run(find())
    if event is None:
        fail(f"no event {wanted} on {topic or 'the dead-letter topics'}", 1)
    who = Principal(subject=f"cli:{getpass.getuser()}", roles=frozenset({"admin"}), name=by.strip())
    try:
        run_audited(make_engine(settings.database_url),
                    lambda s: discard(s, event, reason=reason.strip(), by=who.subject, by_name=who.name, now=utcnow()),
                    by=who, action="dlq.discard", about=Subject(record_id=wanted))
    except DomainError as exc:
        fail(str(exc), 1)
    typer.echo(f"discarded event {wanted} ({event.event_type or 'type not known'}, failed {_times(event.failures)}) "
               f"from {event.dlq_topic}: it stays in the log but will not be offered again")


@schemas_app.command("export")
def schemas_export(
    check: Annotated[bool, typer.Option(help="Only check: exit 1 if the files differ from the models.")] = False,
) -> None:
    """Write schemas/json/*.schema.json and schemas/asyncapi.json from the models."""
    from services.contracts import export_all

    stale = export_all(write=not check)
    if check and stale:
        fail("out of date: " + ", ".join(stale) + " (run `frontdoor schemas export`)", 1)
    typer.echo("up to date" if not stale else f"wrote {len(stale)} file(s)")
