"""The `frontdoor` command line. Each module registers its commands on the apps in `apps.py`;
importing them here, in this order, puts every command on `frontdoor --help`."""

from __future__ import annotations

# isort: off
from services.cli import run, data, triage, admin, audit  # noqa: F401 - registers the commands, in the order of --help
# isort: on
from services.cli.apps import app


def main() -> None:
    app()
