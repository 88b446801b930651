"""Running Front Door: one service (`serve`), the whole stack on a laptop (`dev`), dev tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from services.cli.apps import app, fail

if TYPE_CHECKING:
    from services.common.settings import Settings

SERVICES = ("intake", "triage", "dsr", "worklists", "portal")


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")],
    port: Annotated[Optional[int], typer.Option(help="HTTP port for the API, health and metrics.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run one service (what each container runs). Settings come from the environment."""
    import uvicorn

    from services.common.logging import configure_logging
    from services.common.settings import get_settings

    settings = get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if service not in SERVICES:
        fail(f"unknown service {service!r}: choose one of {', '.join(SERVICES)}")
    refuse_unsafe_start(settings, service=service, host=host)
    if service == "intake":
        from services.intake.main import create_app as intake_app

        application, default_port = intake_app(settings), settings.intake_port
    elif service == "triage":
        from services.triage.main import create_app as triage_app_

        try:
            application = triage_app_(settings)
        except ValueError as exc:
            fail(str(exc))
        default_port = settings.triage_port
    elif service == "dsr":
        from services.dsr.main import create_app as dsr_app_

        application, default_port = dsr_app_(settings), settings.dsr_port
    elif service == "worklists":
        from services.worklists.main import create_app as worklists_app

        application, default_port = worklists_app(settings), settings.worklists_port
    elif service == "portal":
        from services.portal.main import create_app as portal_app

        application, default_port = portal_app(settings), settings.portal_port
    else:
        fail(f"unknown service {service!r}: choose one of {', '.join(SERVICES)}")
    from services.common.runtime import DrainingServer

    config = uvicorn.Config(application, host=host, port=port or default_port, log_config=None, access_log=False,
                            timeout_graceful_shutdown=int(settings.graceful_timeout_seconds))
    DrainingServer(config, drain_seconds=settings.shutdown_drain_seconds).run()


def refuse_unsafe_start(settings: Settings, *, service: str, host: str) -> None:
    """Exit 2 listing every reason this service must not start here (README, "Security"). The loudly named
    override waives only dev sign-in off a laptop (with a warning), never an unsafe secret or production setting."""
    from services.common.logging import get_logger
    from services.common.safety import check_start

    check = check_start(settings, service=service, host=host)
    if check.refused:
        if settings.insecure_allow_dev_defaults:
            waiver = " INSECURE_ALLOW_DEV_DEFAULTS does not waive these: it lets only dev sign-in listen off a laptop."
        elif settings.auth_mode == "dev":
            waiver = (" INSECURE_ALLOW_DEV_DEFAULTS=true lets dev sign-in listen off a laptop (with a DEV_TOKEN_SECRET "
                      "of 32 bytes or more): never where real people's data is.")
        else:
            waiver = ""
        fail(f"{service} refuses to start:\n" + "".join(f"  - {r}\n" for r in check.refused)
             + f"Fix these settings (README, \"Security\").{waiver}")
    if check.waived:
        get_logger("frontdoor.safety").warning(
            "INSECURE_ALLOW_DEV_DEFAULTS is set: starting with settings that are not safe outside a laptop",
            service=service, problems=check.waived)


@app.command()
def dev(
    demo: Annotated[
        bool, typer.Option(help="Submit a handful of realistic demo referrals once everything is up.")
    ] = False,
) -> None:
    """Start the whole stack on this machine (what `make run` calls). Ctrl-C stops everything."""
    from services.devstack import run_dev

    raise typer.Exit(run_dev(demo=demo))


@app.command()
def token(
    role: Annotated[
        list[str], typer.Option("--role", help="referrer, worker:<service>, dsr_panel, admin or manager (repeatable).")
    ],
    subject: Annotated[str, typer.Option(help="Who the token is for (a user id, not a name).")] = "dev-user",
    hours: Annotated[int, typer.Option(help="How long the token lasts.")] = 8,
) -> None:
    """Mint a dev bearer token signed with the local secret (AUTH_MODE=dev only)."""
    from services.common.auth import mint_dev_token
    from services.common.settings import get_settings

    settings = get_settings()
    if settings.auth_mode != "dev":
        fail("tokens come from your identity provider when AUTH_MODE=oidc")
    try:
        typer.echo(mint_dev_token(settings, subject=subject, roles=role, ttl_seconds=hours * 3600))
    except ValueError as exc:
        fail(str(exc))
