"""Operating Front Door: migrations, topics, dead-letter topics and the exported contracts."""

from __future__ import annotations

from typing import Annotated, Optional

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


@dlq_app.command("list")
def dlq_list(
    topic: Annotated[Optional[str], typer.Option(help="One dead-letter topic (default: every *.dlq topic).")] = None,
) -> None:
    """What is in the dead-letter topics: where each record came from and why (never its content)."""
    import asyncio

    from services.common.dlq_tools import dlq_topics, list_dead_letters
    from services.common.settings import get_settings

    bootstrap = get_settings().kafka_bootstrap_servers

    async def run() -> None:
        for name in [topic] if topic else await dlq_topics(bootstrap):
            letters = await list_dead_letters(bootstrap, name)
            typer.echo(f"{name}: {len(letters)} record(s)")
            for d in letters:
                typer.echo(f"  id {d.id}  from {d.original_topic} [{d.original_partition}:{d.original_offset}]  "
                           f"{d.size} bytes  key#{d.key_hash}  attempts {d.attempts}  {d.error}")

    asyncio.run(run())


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[str, typer.Option(help="The dead-letter topic, e.g. frontdoor.referrals.submitted.dlq.")],
    ids: Annotated[
        Optional[str], typer.Option(help="Comma-separated ids from `dlq list` (partition:offset); default: all.")
    ] = None,
) -> None:
    """Send dead-lettered records back to their original topic after a fix (consumers deduplicate)."""
    import asyncio

    from services.common.dlq_tools import replay
    from services.common.settings import get_settings

    chosen = {i.strip() for i in ids.split(",") if i.strip()} if ids else None
    sent = asyncio.run(replay(get_settings().kafka_bootstrap_servers, topic, chosen))
    typer.echo(f"replayed {sent} record(s) from {topic}")


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
