"""Signing in to the portal with the council's identity provider (AUTH_MODE=oidc): Authlib's authorization
code flow with PKCE and a nonce against a stand-in provider (tests/idp.py), server-side sessions that end
at the token's expiry and at sign-out, here and at the provider."""

from __future__ import annotations

import base64
import binascii
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from services.common.db import migrate
from services.common.settings import Settings
from services.common.tables import utcnow
from services.portal.main import create_app
from tests.idp import CLIENT_SECRET, DISCOVERY, ISSUER, StandInProvider, s256

PORTAL = "https://portal"


MIGRATED: dict[str, Path] = {}


@pytest.fixture(scope="module", autouse=True)
def migrated_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The portal's database migrated once for the module (a migration was most of a test's time); each app gets a
    copy of it."""
    path = tmp_path_factory.mktemp("portal") / "p.db"
    migrate(f"sqlite:///{path}")
    MIGRATED["template"] = path


class Backend:
    """The services' APIs as the portal reaches them: they answer `status` and record the bearer token."""

    def __init__(self) -> None:
        self.status = 200
        self.authorization: str | None = None
        self.forwarded_for: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.authorization = request.headers.get("authorization")
        self.forwarded_for = request.headers.get("x-forwarded-for")
        if self.status == 401:
            return httpx.Response(401, json={"title": "invalid or expired token"})
        return httpx.Response(200, json=[])


def network(idp: StandInProvider, backend: Backend) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: idp(request) if idp.handles(request) else backend(request))


def portal_app(settings: Settings, transport: httpx.MockTransport, tmp_path: Any, *, discovery: bool = True,
               **extra: Any) -> Any:
    where: dict[str, Any] = {"oidc_discovery_url": DISCOVERY} if discovery else {
        "oidc_authorize_url": f"{ISSUER}/authorize", "oidc_token_url": f"{ISSUER}/token"}
    oidc_settings = settings.model_copy(update={
        **where, "oidc_client_secret": SecretStr(CLIENT_SECRET), "portal_url": PORTAL,
        "database_url": f"sqlite:///{tmp_path / 'p.db'}", **extra,
    })
    if not (tmp_path / "p.db").exists():
        shutil.copy(MIGRATED["template"], tmp_path / "p.db")
    return create_app(oidc_settings, transport=transport)


def browser(app: Any, client: tuple[str, int] = ("127.0.0.1", 123)) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client), base_url=PORTAL)


async def sign_in(client: httpx.AsyncClient, idp: StandInProvider, state: str | None = None) -> httpx.Response:
    """The browser's part: off to the provider, which answers the callback with a code and the state."""
    start = await client.get("/sign-in")
    assert start.status_code in (302, 303)
    location = start.headers["location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    answer = idp.authorize(location)
    if state is not None:
        answer["state"] = state
    return await client.get("/auth/callback", params=answer)


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else ""


async def sign_out(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/referrals")
    return await client.post("/sign-out", data={"csrf_token": csrf_token(page.text)}, headers={"Origin": PORTAL})


@pytest.mark.parametrize("discovery", [True, False], ids=["discovered", "explicit-urls"])
async def test_a_referrer_signs_in_with_the_identity_provider_and_its_token_reaches_the_services(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any, discovery: bool,
) -> None:
    settings, key = oidc
    idp, backend = StandInProvider(key), Backend()
    async with browser(portal_app(settings, network(idp, backend), tmp_path, discovery=discovery)) as client:
        done = await sign_in(client, idp)
        assert done.status_code == 303 and done.headers["location"] == "/referrals"
        page = await client.get("/referrals")
        assert page.status_code == 200 and "My referrals" in page.text
        assert backend.authorization == f"Bearer {idp.access_token}"
        assert (await client.get("/dsr")).status_code == 403  # the role from the provider's token decides


async def test_the_client_authenticates_as_the_provider_asks(oidc: tuple[Settings, rsa.RSAPrivateKey],
                                                             tmp_path: Any) -> None:
    settings, key = oidc
    idp = StandInProvider(key, auth_method="client_secret_basic")
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        done = await sign_in(client, idp)  # this provider reads the client's secret from the Authorization header only
        assert done.status_code == 303 and done.headers["location"] == "/referrals"


async def test_the_flow_uses_pkce_s256_and_a_nonce(oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any) -> None:
    settings, key = oidc
    idp = StandInProvider(key)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        assert (await sign_in(client, idp)).status_code == 303
    asked, sent = idp.seen["authorize"], idp.seen["token_request"]
    assert asked["code_challenge_method"] == "S256" and len(asked["nonce"]) >= 16
    assert asked["redirect_uri"] == f"{PORTAL}/auth/callback" and asked["response_type"] == "code"
    assert "openid" in asked["scope"].split()
    assert s256(sent["code_verifier"]) == asked["code_challenge"]  # the verifier only the portal knew


ID_TOKEN = "ID token could not be checked"


@pytest.mark.parametrize(("case", "provider", "state", "says"), [
    ("forged state", {}, "not-the-state", "expired or was not started here"),
    ("no Front Door role", {"roles": ["superuser"]}, None, "no Front Door role"),
    ("an ID token with another nonce", {"id_claims": {"nonce": "not-the-nonce"}}, None, ID_TOKEN),
    ("an ID token without a nonce", {"id_claims": {"nonce": None}}, None, ID_TOKEN),
    ("an ID token for another client", {"id_claims": {"aud": "someone-else"}}, None, ID_TOKEN),
    ("an ID token from another issuer", {"id_claims": {"iss": "https://evil.example"}}, None, ID_TOKEN),
    ("an ID token signed with HS256 and the client secret", {"id_token_alg": "HS256"}, None, ID_TOKEN),
    ("an access token with another audience", {"access_claims": {"aud": "other"}}, None, "token could not be checked"),
])
async def test_sign_in_is_refused_clearly(oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any, case: str,
                                          provider: dict[str, Any], state: str | None, says: str) -> None:
    settings, key = oidc
    idp = StandInProvider(key, **provider)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        done = await sign_in(client, idp, state=state)
        assert done.status_code == 403, case
        assert "You could not be signed in" in done.text and says in done.text.replace("&#39;", "'"), case
        assert not idp.access_token or idp.access_token not in done.text  # a message never shows a token
        assert (await client.get("/referrals")).status_code == 303  # still signed out


async def test_a_code_the_provider_refuses_or_a_replayed_callback_signs_nobody_in(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp = StandInProvider(key)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        start = await client.get("/sign-in")
        answer = idp.authorize(start.headers["location"])
        refused = await client.get("/auth/callback", params={"code": "made-up", "state": answer["state"]})
        assert refused.status_code == 403 and "did not accept" in refused.text
        again = await client.get("/auth/callback", params=answer)  # the state was used up by the first callback
        assert again.status_code == 403 and "expired or was not started here" in again.text


async def test_the_cookie_carries_only_a_session_id_never_the_token(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp = StandInProvider(key)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        done = await sign_in(client, idp)
        set_cookie = done.headers["set-cookie"]
        value = client.cookies["frontdoor_portal"]
        assert idp.access_token and idp.access_token not in set_cookie
        assert re.fullmatch(r"[0-9a-f]{32}", value), "a random id, nothing else"
        for part in value.split("."):  # the old cookie was base64 JSON with the token in it, then a signature
            try:
                decoded = base64.b64decode(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue
            assert b"token" not in decoded and b"eyJ" not in decoded
        flags = [f.strip().lower() for f in set_cookie.split(";")]
        assert "httponly" in flags and "samesite=lax" in flags and "secure" in flags  # Secure outside dev


async def test_sign_out_ends_the_session_here_and_at_the_provider(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp = StandInProvider(key)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        await sign_in(client, idp)
        copy = client.cookies["frontdoor_portal"]
        out = await sign_out(client)
        assert out.status_code == 303
        query = idp.end_session_query(out.headers["location"])
        assert query["post_logout_redirect_uri"] == f"{PORTAL}/signed-out"
        assert query["id_token_hint"].count(".") == 2 and query["client_id"] == "frontdoor-portal"
        client.cookies.set("frontdoor_portal", copy, domain="portal")  # a replayed copy of the old cookie
        replay = await client.get("/referrals")
        assert replay.status_code == 303 and replay.headers["location"] == "/sign-in"


async def test_sign_out_without_an_end_session_endpoint_lands_on_the_portal(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp = StandInProvider(key, end_session=False)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        await sign_in(client, idp)
        out = await sign_out(client)
        assert out.status_code == 303 and out.headers["location"] == "/signed-out"
        assert "You have signed out" in (await client.get("/signed-out")).text
        assert (await client.get("/referrals")).headers["location"] == "/sign-in"


async def test_the_end_session_endpoint_can_be_set_when_not_discovered(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp = StandInProvider(key, end_session=False)
    app = portal_app(settings, network(idp, Backend()), tmp_path, discovery=False,
                     oidc_end_session_url=f"{ISSUER}/end-session")
    async with browser(app) as client:
        await sign_in(client, idp)
        out = await sign_out(client)
        assert idp.end_session_query(out.headers["location"])["post_logout_redirect_uri"] == f"{PORTAL}/signed-out"


async def test_a_session_ends_when_the_access_token_expires(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp = StandInProvider(key, access_claims={"exp": int(utcnow().timestamp()) + 120})
    app = portal_app(settings, network(idp, Backend()), tmp_path)
    store, start = app.state.session_store, utcnow()
    async with browser(app) as client:
        await sign_in(client, idp)
        store.clock = lambda: start + timedelta(seconds=60)  # well inside the idle timeout and the token
        assert (await client.get("/referrals")).status_code == 200
        store.clock = lambda: start + timedelta(seconds=125)  # past the token's expiry, still not idle
        ended = await client.get("/referrals")
        assert ended.status_code == 303 and ended.headers["location"] == "/sign-in"


async def test_a_token_the_services_refuse_sends_the_person_to_sign_in_again(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    idp, backend = StandInProvider(key), Backend()
    async with browser(portal_app(settings, network(idp, backend), tmp_path)) as client:
        await sign_in(client, idp)
        backend.status = 401  # the token was revoked at the provider
        page = await client.get("/referrals")
        assert page.status_code == 303 and page.headers["location"] == "/sign-in"
        start = await client.get("/sign-in")
        assert start.headers["location"].startswith(f"{ISSUER}/authorize?")  # a fresh sign-in, not a 500


async def test_an_unreachable_provider_is_a_page_not_a_500(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, _ = oidc

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("provider down", request=request)

    async with browser(portal_app(settings, httpx.MockTransport(down), tmp_path)) as client:
        page = await client.get("/sign-in")
        assert page.status_code == 503 and "could not be reached" in page.text



async def test_a_cookie_forged_with_the_secret_in_the_source_opens_nothing(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    """The issue's reproduction (item 1): a cookie signed with the session secret that used to be written in the
    source, naming a referrer with a saved draft, opened /referrals/new/check. Sessions now live on the server, so
    no signature makes anyone signed in, whatever the key."""
    import json

    import itsdangerous
    from sqlmodel import Session

    from services.portal import drafts

    settings, key = oidc
    idp = StandInProvider(key)
    app = portal_app(settings, network(idp, Backend()), tmp_path)
    with Session(app.state.engine) as session:
        drafts.save(session, "senco-seaview", {"given_name": "Canaryname", "nhs_number": "9434765919"})
        session.commit()
    payload = {"oidc": {"subject": "senco-seaview", "role": "referrer", "token": "x"}}
    old_dev_secret = "frontdoor-dev-secret-not-for-production-portal"
    forged = itsdangerous.TimestampSigner(old_dev_secret).sign(base64.b64encode(json.dumps(payload).encode()))
    async with browser(app) as client:
        client.cookies.set("frontdoor_portal", forged.decode(), domain="portal")
        page = await client.get("/referrals/new/check")
        assert page.status_code == 303 and page.headers["location"] == "/sign-in"
        assert "Canaryname" not in page.text


async def test_the_services_see_the_persons_address_not_the_portals(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    """The services' audit rows and failed-authentication limits count by client address: the portal sends the
    person's on (X-Forwarded-For, which the services believe only from FORWARDED_ALLOW_IPS)."""
    settings, key = oidc
    idp, backend = StandInProvider(key), Backend()
    app = portal_app(settings, network(idp, backend), tmp_path)
    async with browser(app, client=("10.1.2.3", 50123)) as client:
        await sign_in(client, idp)
        assert (await client.get("/referrals")).status_code == 200
    assert backend.forwarded_for == "10.1.2.3"


@pytest.mark.parametrize(("claims", "shown"), [
    ({"name": "Kim Evans"}, "Signed in as Kim Evans (Speech and language therapy)"),
    ({}, "Signed in as Speech and language therapy (your account gives no name)"),
], ids=["named", "no-name"])
async def test_the_person_is_shown_by_the_name_the_provider_gives_never_by_their_login_id(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any, claims: dict[str, Any], shown: str,
) -> None:
    """Issue 22, item 7: the provider's `name` claim is who a person is on the page; without one, their team."""
    settings, key = oidc
    idp = StandInProvider(key, roles=["worker:salt"], access_claims=claims)
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        assert (await sign_in(client, idp)).status_code == 303
        page = (await client.get("/work/salt")).text
    assert shown in re.sub(r"\s+", " ", page) and "u-42" not in page


async def test_about_you_starts_from_what_the_provider_says_of_the_referrer(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    """Issue 22, item 5: the referral form's "About you" starts from the ID token's name, email, organisation and
    job role (a claim that is not text, or is blank, is left out)."""
    settings, key = oidc
    idp = StandInProvider(key, roles=["referrer"], id_claims={
        "name": "Jo Clarke", "email": "jo.clarke@nhs.example.org", "organisation": "East locality health visiting",
        "job_role": "health_visitor", "phone": 7})
    async with browser(portal_app(settings, network(idp, Backend()), tmp_path)) as client:
        assert (await sign_in(client, idp)).status_code == 303
        page = (await client.get("/referrals/new/referrer")).text
    for value in ('value="Jo Clarke"', 'value="jo.clarke@nhs.example.org"', 'value="East locality health visiting"'):
        assert value in page, value
    assert re.search(r'<option value="health_visitor" selected', page)
