"""Alembic environment: one migration history for every service's tables (PostgreSQL and SQLite)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import services.common.tables  # noqa: F401  (register tables)
import services.dsr.tables  # noqa: F401
import services.intake.tables  # noqa: F401
import services.portal.drafts  # noqa: F401
import services.portal.sessions  # noqa: F401
import services.worklists.tables  # noqa: F401
from services.common.db import normalise_url

config = context.config
if not config.get_main_option("sqlalchemy.url"):
    config.set_main_option("sqlalchemy.url", normalise_url(os.environ.get("DATABASE_URL", "sqlite:///var/frontdoor.db")))
if config.config_file_name and config.attributes.get("configure_logger", True):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
