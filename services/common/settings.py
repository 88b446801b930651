"""All runtime settings, read once from the environment (documented in README.md, "Settings")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "frontdoor-dev-secret-not-for-production"  # noqa: S105 - dev only; AUTH_MODE=oidc in production


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Broker
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="host:port[,host:port]")
    kafka_enable_idempotence: bool = Field(False, description="on for Apache Kafka; Tansu rejects it")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_topic_partitions: int = Field(4, ge=1)
    kafka_group_prefix: str = "frontdoor"
    kafka_fast_rebalance: bool = Field(False, description="short rebalance timeouts, for tests on the embedded broker")

    # Database
    database_url: str = "sqlite:///var/frontdoor.db"

    # Triage
    ruleset_path: Path | None = Field(None, description="the triage policy file (unset: triage's reference ruleset)")

    # Auth
    auth_mode: Literal["dev", "oidc"] = "dev"
    dev_token_secret: SecretStr = SecretStr(DEV_SECRET)
    oidc_issuer: str | None = None
    oidc_audience: str = "frontdoor"
    oidc_jwks_url: str | None = None
    oidc_roles_claim: str = "roles"
    oidc_authorize_url: str | None = None
    oidc_token_url: str | None = None
    oidc_client_id: str = "frontdoor-portal"
    oidc_client_secret: SecretStr | None = None
    portal_url: str = Field("http://127.0.0.1:8080", description="the portal's public address (OIDC redirect)")
    oidc_discovery_url: str | None = Field(
        None, description="the provider's /.well-known/openid-configuration (else the *_URL settings above)"
    )
    oidc_end_session_url: str | None = Field(None, description="the provider's end-session endpoint, if not discovered")

    # Security (README, "Security")
    insecure_allow_dev_defaults: bool = Field(
        False, description="DANGER: lets a service start with dev sign-in or dev secrets on a non-loopback address"
    )
    session_idle_minutes: float = Field(30.0, gt=0, description="a portal session unused this long ends")
    session_absolute_hours: float = Field(
        10.0, gt=0, description="a portal session ends this long after sign-in (or at the token's expiry, if sooner)"
    )
    session_cookie_secure: bool | None = Field(
        None, description="send the session cookie over HTTPS only (default: on unless AUTH_MODE=dev)"
    )
    api_docs: bool | None = Field(None, description="serve /docs and /openapi.json (default: on only in dev)")
    small_number_threshold: int = Field(
        5, ge=1, description="counts below this are suppressed in every aggregate report (disclosure control)"
    )
    max_json_depth: int = Field(32, ge=2, description="JSON bodies nested deeper than this are refused (422)")
    ruleset_max_nodes: int = Field(
        20_000, ge=100, description="a ruleset file standing for more nodes than this, aliases expanded, is refused"
    )
    ruleset_max_depth: int = Field(50, ge=5, description="a ruleset file nested deeper than this is refused")
    whatif_time_limit_seconds: float = Field(
        60.0, gt=0, description="a what-if replay taking longer than this is stopped and answered 503"
    )
    sign_in_rate_limit: str = Field(
        "10/minute", description="failed sign-in attempts per client address before sign-in answers 429"
    )
    failed_auth_rate_limit: str = Field(
        "20/minute", description="401s per client address before everything but health answers 429"
    )

    # Runtime
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    outbox_poll_seconds: float = Field(0.5, gt=0)
    graceful_timeout_seconds: float = Field(
        15.0, gt=0, description="how long in-flight work may take to finish at shutdown"
    )
    shutdown_drain_seconds: float = Field(
        2.0, ge=0,
        description="on SIGTERM, readiness goes false and the service keeps working this long before stopping",
    )
    intake_port: int = 8000
    triage_port: int = 8001
    dsr_port: int = 8002
    worklists_port: int = 8003
    portal_port: int = 8080
    intake_url: str | None = Field(
        None, description="where the portal reaches intake (default: 127.0.0.1 and INTAKE_PORT)"
    )
    worklists_url: str | None = None
    dsr_url: str | None = None
    undecided_redrive_seconds: float = Field(
        600.0, gt=0,
        description="a referral still undecided this long after its event was published has the event published again",
    )
    breach_check_seconds: float = Field(60.0, gt=0, description="how often the breach job looks for requests past due")
    emergency_check_seconds: float = Field(
        60.0, gt=0, description="how often the emergency clock looks for emergencies past 4 hours with no contact",
    )
    chase_after_working_days: int = Field(
        5, ge=1, description="a referral still waiting for missing information this many working days after "
                             "its decision goes on the front-door queue to be chased",
    )
    chase_again_working_days: int = Field(
        3, ge=1, description="after a chase is recorded, the referral is to be chased again by the end of this many "
                             "working days later (the queue shows 'Chase again by' until then, then overdue)",
    )
    startup_timeout_seconds: float = Field(60.0, gt=0)

    # The access audit's witness (README, "The access audit"): the chain's head, published on frontdoor.audit.heads
    audit_chain: str = Field(
        "frontdoor", pattern=r"^[a-z0-9][a-z0-9._\-]{0,99}$",
        description="the audit chain's name on the witness topic (its key): one name per audit database")
    audit_witness_rows: int = Field(1000, ge=1, description="publish the audit chain's head after this many new rows")
    audit_witness_minutes: float = Field(
        5.0, gt=0, description="publish it at least this often while the chain grows (and at each start)")

    # Emergency contacts: the council's to set (README, "Emergency contacts"). Shown wherever a referral is an
    # emergency and on "How we decide". The defaults are a demo council's placeholders (01632 960xxx is Ofcom's
    # range for drama: no real line answers it).
    emergency_danger_text: str = Field(
        "If the child is in immediate danger, call 999.", min_length=1, description="the warning's first line")
    emergency_crisis_line_name: str = Field(
        "NHS 111: choose the mental health option (any age, 24 hours a day)", min_length=1)
    emergency_crisis_line_number: str = Field("111", min_length=1)
    emergency_duty_name: str = Field(
        "Example Council children's social care duty team (MASH)", min_length=1,
        description="who takes a call about a child's safety in working hours")
    emergency_duty_number: str = Field("01632 960 001", min_length=1)
    emergency_duty_hours: str = Field("Monday to Friday, 9am to 5pm", min_length=1)
    emergency_out_of_hours_name: str = Field(
        "Example Council emergency duty team (evenings, weekends and bank holidays)", min_length=1)
    emergency_out_of_hours_number: str = Field("01632 960 002", min_length=1)

    @field_validator("sign_in_rate_limit", "failed_auth_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        from limits import parse

        parse(value)  # "10/minute", "100 per hour": a ValueError names what is wrong
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
