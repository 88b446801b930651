"""The ruleset in force: the one function every service asks for the triage policy it works by. RULESET_PATH's
file (or the path a service's settings name; unset: the shipped reference ruleset), read, checked and compiled once
per path and content. A file that is not a valid ruleset raises RulesetError, every problem located, each time it
is asked for, so a service refuses to start on it."""

from __future__ import annotations

import os
from functools import cache, lru_cache
from pathlib import Path

from services.common.settings import Settings
from services.policy.ruleset.compiled import Ruleset
from services.policy.ruleset.load import DEFAULT_RULESET, load_ruleset


def ruleset_in_force(path: Path | str | None = None) -> Ruleset:
    """The compiled ruleset at `path` (None: RULESET_PATH, else the reference ruleset)."""
    where = Path(path or _ruleset_path_in(_settings_environment()) or DEFAULT_RULESET).resolve()
    stat = where.stat() if where.exists() else None
    return _compiled(str(where), stat.st_mtime_ns if stat else 0, stat.st_size if stat else -1)


def in_force() -> Ruleset:
    """The ruleset RULESET_PATH names (unset: the reference ruleset)."""
    return ruleset_in_force()


def _settings_environment() -> tuple[tuple[str, str], ...]:
    """The variables of the process's environment that the settings read (named as a setting, in any case)."""
    return tuple(sorted((name, value) for name, value in os.environ.items() if name.lower() in Settings.model_fields))


@lru_cache(maxsize=8)
def _ruleset_path_in(environment: tuple[tuple[str, str], ...]) -> Path | None:
    """RULESET_PATH as the settings read it from `environment` (the settings' variables, as they are now): read
    again only when one of them has changed, since reading the settings takes a few milliseconds and intake asks
    at each referral."""
    return Settings().ruleset_path


@cache
def _compiled(path: str, mtime_ns: int, size: int) -> Ruleset:
    return load_ruleset(path)  # keyed by the file's modification time and size too: an edited file is read again
