"""Telegram Login over OpenID Connect, as a site meets it: discovery, the authorization
request, the user's answer on the phone, the code traded for an ID token that verifies
against the served JWKS; and every way each step refuses."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import secrets
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.oidc.core import CodeIDToken
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.jwk import KeySet
from telegram import Bot
from telegram.error import Forbidden

from tests.oidc_discovery import check_provider_metadata
from tgpass.sandbox.app import create_app
from tgpass.sandbox.oidc import CODE_TTL, REQUEST_TTL, SandboxOidcProvider
from tgpass.sandbox.persist import dump, load
from tgpass.sandbox.server import LoopbackServer, Sandbox, SandboxUsers
from tgpass.sandbox.state import SandboxState
from tgpass.sandbox.world import World
from tgpass.testing import FrozenClock

Json = dict[str, Any]
REDIRECT = "https://site.test/telegram/callback"
TELEGRAM_ALGORITHMS = ["RS256", "ES256", "EdDSA", "ES256K"]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Attempt:
    """One login attempt, as the site keeps it between the redirect and the callback."""

    url: str
    verifier: str
    state: str
    nonce: str


@dataclass
class Site:
    """A site that logs people in with Telegram, and the sandbox it talks to."""

    sandbox: Sandbox
    users: SandboxUsers
    http: httpx.AsyncClient
    clock: FrozenClock
    bot: Json
    user: Json

    @property
    def issuer(self) -> str:
        return self.sandbox.oidc_issuer

    @property
    def client_id(self) -> str:
        return str(self.bot["id"])

    @property
    def secret(self) -> str:
        return str(self.bot["oidc_client_secret"])

    def attempt(self, scope: str = "openid profile", **params: str | None) -> Attempt:
        verifier = secrets.token_urlsafe(48)
        query: dict[str, str | None] = {
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": scope,
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
            **params,
        }
        sent = {k: v for k, v in query.items() if v is not None}
        url = f"{self.issuer}/auth?{urlencode(sent)}"
        return Attempt(url, verifier, sent.get("state", ""), sent.get("nonce", ""))

    async def code(self, attempt: Attempt, user_id: int | None = None, **answer: Any) -> str:
        """The user approves: the code the browser brings back to the site."""
        approved = await self.users.approve_oidc_login(
            user_id or self.user["id"], authorize_url=attempt.url, **answer
        )
        back = query_of(approved["url"])
        assert approved["url"].startswith(REDIRECT + "?")
        assert back["state"] == attempt.state
        return back["code"]

    async def trade(
        self,
        code: str,
        verifier: str | None,
        *,
        auth: str = "basic",
        secret: str | None = None,
        **form: str,
    ) -> httpx.Response:
        """The site's back end at the token endpoint."""
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        if verifier is not None:
            body["code_verifier"] = verifier
        body.update(form)
        credentials = (self.client_id, secret if secret is not None else self.secret)
        if auth == "post":
            body.update(client_id=credentials[0], client_secret=credentials[1])
            return await self.http.post(f"{self.issuer}/token", data=body)
        return await self.http.post(f"{self.issuer}/token", data=body, auth=credentials)

    async def keys(self) -> KeySet:
        jwks = (await self.http.get(f"{self.issuer}/.well-known/jwks.json")).json()
        return KeySet.import_key_set(jwks)

    async def verify(self, id_token: str, nonce: str, keys: KeySet | None = None) -> Json:
        """Signature against the served JWKS, then iss, aud, nonce, exp, iat, sub."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc marks EdDSA as superseded (RFC 9864)
            token = jwt.decode(id_token, keys or await self.keys(), algorithms=TELEGRAM_ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            leeway=5,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        registry.validate(token.claims)
        return {"header": dict(token.header), **token.claims}

    async def log_in(self, scope: str = "openid profile", **answer: Any) -> Json:
        attempt = self.attempt(scope)
        traded = await self.trade(await self.code(attempt, **answer), attempt.verifier)
        assert traded.status_code == 200, traded.text
        tokens: Json = traded.json()
        return {**tokens, "claims": await self.verify(tokens["id_token"], attempt.nonce)}


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    clock = FrozenClock()
    async with Sandbox(World(clock)) as sandbox, httpx.AsyncClient() as http:
        users = sandbox.users
        assert users is not None
        bot = await users.create_bot(
            "site_bot", first_name="Site", oidc_redirect_uris=[REDIRECT, "http://127.0.0.1:9/cb"]
        )
        user = await users.create_user(
            "Зоя 🚀",
            last_name="Lee",
            username="zoya",
            phone_number="+15550001",
            photo_url="https://cdn.test/zoya.jpg",
        )
        yield Site(sandbox, users, http, clock, bot, user)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, body["error"]


# -- discovery and keys -----------------------------------------------------------------


async def test_discovery_names_the_issuer_and_its_endpoints(site: Site) -> None:
    info = await site.users.info()
    assert info["oidc_issuer"] == site.issuer == f"{site.sandbox.url}/oauth"
    answer = await site.http.get(f"{site.issuer}/.well-known/openid-configuration")
    assert answer.status_code == 200
    meta = answer.json()
    check_provider_metadata(meta)
    assert "code" in meta["response_types_supported"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["issuer"] == site.issuer
    assert meta["authorization_endpoint"] == f"{site.issuer}/auth"
    assert meta["token_endpoint"] == f"{site.issuer}/token"
    assert meta["jwks_uri"] == f"{site.issuer}/.well-known/jwks.json"
    assert meta["id_token_signing_alg_values_supported"] == TELEGRAM_ALGORITHMS
    assert meta["scopes_supported"] == ["openid", "profile", "phone", "telegram:bot_access"]
    assert meta["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert meta["grant_types_supported"] == ["authorization_code"]
    assert "userinfo_endpoint" not in meta  # Telegram has none: the claims are in the ID token
    jwks = (await site.http.get(meta["jwks_uri"])).json()
    assert sorted(k["alg"] for k in jwks["keys"]) == sorted(TELEGRAM_ALGORITHMS)
    assert len({k["kid"] for k in jwks["keys"]}) == 4
    for key in jwks["keys"]:
        assert key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public halves only
    by_alg = {k["alg"]: (k["kty"], k.get("crv")) for k in jwks["keys"]}
    assert by_alg == {
        "RS256": ("RSA", None),
        "ES256": ("EC", "P-256"),
        "EdDSA": ("OKP", "Ed25519"),
        "ES256K": ("EC", "secp256k1"),
    }


async def test_issuer_follows_the_address_when_not_told() -> None:
    app = create_app(SandboxState(World()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tg.local:81") as http:
        meta = (await http.get("/oauth/.well-known/openid-configuration")).json()
        info = (await http.get("/sandbox/api/info")).json()
    assert meta["issuer"] == info["oidc_issuer"] == "http://tg.local:81/oauth"


# -- the whole flow, with independent clients -------------------------------------------


async def test_authlib_client_logs_in_and_the_id_token_verifies(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain http
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from authlib.integrations.httpx_client import AsyncOAuth2Client
    meta = (await site.http.get(f"{site.issuer}/.well-known/openid-configuration")).json()
    client = AsyncOAuth2Client(
        client_id=site.client_id,
        client_secret=site.secret,
        scope="openid profile phone",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(8)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    # the browser goes to Telegram, which opens the phone on the request
    opened = await site.http.get(url)
    assert opened.status_code == 302
    phone = urlsplit(opened.headers["location"])
    assert f"{phone.scheme}://{phone.netloc}" == site.sandbox.url
    assert phone.path == "/"
    request_id = query_of(opened.headers["location"])["oidc"]
    shown = await site.users.oidc_login_request(request_id)
    assert shown["bot"]["username"] == "site_bot"
    assert shown["origin"] == "https://site.test"
    assert shown["scopes"] == ["openid", "profile", "phone"]

    approved = await site.users.approve_oidc_login(
        site.user["id"], request_id=request_id, share_phone_number=True
    )
    token = await client.fetch_token(
        meta["token_endpoint"],
        authorization_response=approved["url"],
        code_verifier=verifier,
        state=state,
    )
    await client.aclose()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "openid profile phone"
    claims = await site.verify(token["id_token"], nonce)
    assert claims["header"]["alg"] == "RS256"
    assert claims["id"] == site.user["id"]  # the Telegram id, a number beyond 2**32
    assert claims["sub"] != str(site.user["id"])
    assert claims["name"] == "Зоя 🚀 Lee"
    assert claims["preferred_username"] == "zoya"
    assert claims["picture"] == "https://cdn.test/zoya.jpg"
    assert claims["phone_number"] == "+15550001"
    assert claims["phone_number_verified"] is True
    assert claims["exp"] > claims["iat"] >= int(site.clock())

    # Authlib's own reading of an ID token agrees
    payload = {k: v for k, v in claims.items() if k != "header"}
    id_token = CodeIDToken(
        payload,
        claims["header"],
        options={"iss": {"essential": True, "value": site.issuer}},
        params={"nonce": nonce, "client_id": site.client_id},
    )
    id_token.validate(now=int(site.clock()))
    tampered = CodeIDToken(payload, claims["header"], params={"nonce": "other"})
    with pytest.raises(Exception, match="nonce"):
        tampered.validate(now=int(site.clock()))


async def test_httpx_oauth_client_logs_in_with_client_secret_post(site: Site) -> None:
    from httpx_oauth.clients.openid import OpenID

    endpoint = f"{site.issuer}/.well-known/openid-configuration"
    # its constructor fetches the configuration synchronously: not on the sandbox's loop
    client = await asyncio.to_thread(OpenID, site.client_id, site.secret, endpoint)
    client.token_endpoint_auth_method = "client_secret_post"
    verifier = secrets.token_urlsafe(48)
    url = await client.get_authorization_url(
        REDIRECT,
        state="st-1",
        scope=["openid", "profile"],
        code_challenge=s256(verifier),
        code_challenge_method="S256",
        extras_params={"nonce": "n-1"},
    )
    approved = await site.users.approve_oidc_login(site.user["id"], authorize_url=url)
    back = query_of(approved["url"])
    assert back["state"] == "st-1"
    token = await client.get_access_token(back["code"], REDIRECT, verifier)
    claims = await site.verify(token["id_token"], "n-1")
    assert claims["id"] == site.user["id"]
    assert "phone_number" not in claims


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])  # pyoidc knows no EdDSA, ES256K
async def test_pyoidc_client_discovers_logs_in_and_verifies(site: Site, algorithm: str) -> None:
    """pyoidc checks the metadata (the issuer it was given), then the ID token: signature
    against the JWKS, iss, aud, nonce. It runs synchronously: in a thread."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from oic.oic import Client
        from oic.oic.message import AuthorizationResponse, RegistrationResponse
        from oic.utils.authn.client import CLIENT_AUTHN_METHOD

    await site.users.set_bot_oidc(site.bot["id"], algorithm=algorithm)
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    await asyncio.to_thread(client.provider_config, site.issuer)
    client.store_registration_info(
        RegistrationResponse(
            client_id=site.client_id, client_secret=site.secret, redirect_uris=[REDIRECT]
        )
    )
    challenge, verifier = client.add_code_challenge()
    request = client.construct_AuthorizationRequest(
        request_args={
            "response_type": "code",
            "scope": ["openid", "profile"],
            "redirect_uri": REDIRECT,
            "state": "st-2",
            "nonce": "n-2",
            **challenge,
        }
    )
    url = request.request(client.authorization_endpoint)
    approved = await site.users.approve_oidc_login(site.user["id"], authorize_url=url)
    response = client.parse_response(
        AuthorizationResponse, info=urlsplit(approved["url"]).query, sformat="urlencoded"
    )
    token = await asyncio.to_thread(
        client.do_access_token_request,
        state="st-2",
        request_args={
            "code": response["code"],
            "code_verifier": verifier,
            "redirect_uri": REDIRECT,
        },
        authn_method="client_secret_basic",
    )
    claims = token["id_token"]
    assert claims["iss"] == site.issuer
    assert claims["aud"] == [site.client_id]
    assert claims["nonce"] == "n-2"
    assert claims["id"] == site.user["id"]
    assert claims.jws_header["alg"] == algorithm


async def test_sub_is_stable_for_a_bot_and_differs_between_bots(site: Site) -> None:
    first = (await site.log_in())["claims"]["sub"]
    again = (await site.log_in())["claims"]["sub"]
    assert first == again
    other = await site.users.create_bot("other_bot", oidc_redirect_uris=[REDIRECT])
    other_site = Site(site.sandbox, site.users, site.http, site.clock, other, site.user)
    elsewhere = (await other_site.log_in())["claims"]
    assert elsewhere["aud"] == str(other["id"])
    assert elsewhere["sub"] != first
    assert elsewhere["id"] == site.user["id"]
    someone = await site.users.create_user("Bob")
    assert (await site.log_in(user_id=someone["id"]))["claims"]["sub"] != first


async def test_claims_follow_the_scopes_and_the_users_choices(site: Site) -> None:
    bare = await site.log_in("openid")
    assert bare["scope"] == "openid"
    assert not {"id", "name", "preferred_username", "picture", "phone_number"} & set(bare["claims"])
    kept = await site.log_in("openid profile phone", share_phone_number=False)
    assert kept["scope"] == "openid profile"
    assert "phone_number" not in kept["claims"]
    assert kept["claims"]["name"] == "Зоя 🚀 Lee"
    unknown = await site.log_in("openid email profile")  # unknown scopes are ignored
    assert unknown["scope"] == "openid profile"
    assert "email" not in unknown["claims"]
    plain = await site.users.create_user("Ann")  # no last name, username, photo or phone
    claims = (await site.log_in("openid profile", user_id=plain["id"]))["claims"]
    assert claims["name"] == "Ann"
    assert not {"preferred_username", "picture"} & set(claims)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await site.code(site.attempt("openid phone"), plain["id"], share_phone_number=True)
    assert refused.value.response.status_code == 400


async def test_bot_access_lets_the_bot_write_first(site: Site) -> None:
    uid = site.user["id"]
    async with Bot(site.bot["token"], base_url=site.sandbox.bot_api_base) as bot:
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await bot.send_message(uid, "hello")
        refused = await site.log_in("openid telegram:bot_access", write_allowed=False)
        assert refused["scope"] == "openid"
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await bot.send_message(uid, "hello")
        allowed = await site.log_in("openid profile telegram:bot_access")
        assert allowed["scope"] == "openid profile telegram:bot_access"
        sent = await bot.send_message(uid, "Welcome to the site")
        assert sent.chat.id == uid
        assert [m["text"] for m in await site.users.received(uid, "site_bot")] == [
            "Welcome to the site"
        ]
        await site.users.block(uid, "site_bot")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(uid, "still there?")


async def test_decline_sends_access_denied_and_state_back(site: Site) -> None:
    attempt = site.attempt()
    declined = await site.users.decline_oidc_login(site.user["id"], authorize_url=attempt.url)
    assert declined["url"].startswith(REDIRECT + "?")
    back = query_of(declined["url"])
    assert back["error"] == "access_denied"
    assert back["state"] == attempt.state
    assert "code" not in back

    opened = await site.http.get(site.attempt().url)
    request_id = query_of(opened.headers["location"])["oidc"]
    await site.users.decline_oidc_login(site.user["id"], request_id=request_id)
    with pytest.raises(httpx.HTTPStatusError) as gone:  # answered once, for good
        await site.users.approve_oidc_login(site.user["id"], request_id=request_id)
    assert gone.value.response.status_code == 404


async def test_a_login_request_waits_ten_minutes(site: Site) -> None:
    opened = await site.http.get(site.attempt().url)
    request_id = query_of(opened.headers["location"])["oidc"]
    site.clock.advance(REQUEST_TTL + 1)
    with pytest.raises(httpx.HTTPStatusError) as expired:
        await site.users.approve_oidc_login(site.user["id"], request_id=request_id)
    assert expired.value.response.status_code == 404


# -- the authorization endpoint refuses -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"redirect_uri": "https://evil.test/telegram/callback"}, "not one of"),
        ({"redirect_uri": REDIRECT + "/"}, "not one of"),  # exact match only
        ({"redirect_uri": REDIRECT + "?next=/"}, "not one of"),
        ({"redirect_uri": None}, "redirect_uri is missing"),
        ({"client_id": "1"}, "no bot"),
        ({"client_id": "site_bot"}, "no bot"),
        ({"client_id": None}, "client_id is missing"),
    ],
)
async def test_bad_client_or_redirect_uri_is_a_page_never_a_redirect(
    site: Site, change: dict[str, str | None], reason: str
) -> None:
    answer = await site.http.get(site.attempt(**change).url)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert reason in answer.text
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await site.users.approve_oidc_login(
            site.user["id"], authorize_url=site.attempt(**change).url
        )
    assert refused.value.response.json()["error"]["code"] == "invalid"


async def test_a_bot_without_redirect_urls_refuses_every_login(site: Site) -> None:
    await site.users.set_bot_oidc(site.bot["id"], redirect_uris=[])
    answer = await site.http.get(site.attempt().url)
    assert answer.status_code == 400
    assert "allowed URLs" in answer.text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # absent means plain
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "profile phone"}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"request": "eyJ.e30."}, "request_not_supported"),
    ],
)
async def test_bad_requests_go_back_with_error_and_state(
    site: Site, change: dict[str, str | None], error: str
) -> None:
    attempt = site.attempt(**change)
    answer = await site.http.get(attempt.url)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    back = query_of(location)
    assert back["error"] == error
    assert back["state"] == attempt.state
    assert back["error_description"]
    assert "code" not in back


async def test_a_parameter_given_twice_is_refused(site: Site) -> None:
    attempt = site.attempt()
    answer = await site.http.get(attempt.url + "&scope=openid+phone")
    assert query_of(answer.headers["location"])["error"] == "invalid_request"
    twice = await site.http.get(attempt.url + "&redirect_uri=" + REDIRECT)
    assert twice.status_code == 400
    assert "location" not in twice.headers


async def test_the_redirect_uri_keeps_its_own_query(site: Site) -> None:
    with_query = "https://site.test/cb?from=tg"
    await site.users.set_bot_oidc(site.bot["id"], redirect_uris=[with_query])
    attempt = site.attempt(redirect_uri=with_query)
    approved = await site.users.approve_oidc_login(site.user["id"], authorize_url=attempt.url)
    assert approved["url"].startswith(with_query + "&code=")
    assert query_of(approved["url"])["from"] == "tg"


async def test_authorization_by_post_form(site: Site) -> None:
    attempt = site.attempt()
    form = dict(parse_qs(urlsplit(attempt.url).query))
    answer = await site.http.post(f"{site.issuer}/auth", data=form)
    assert answer.status_code == 302
    assert "oidc" in query_of(answer.headers["location"])


# -- the token endpoint refuses -----------------------------------------------------------


async def test_pkce_verifier_missing_or_wrong(site: Site) -> None:
    attempt = site.attempt()
    missing = await site.trade(await site.code(attempt), None)
    assert error_of(missing) == (400, "invalid_request")
    wrong = await site.trade(await site.code(attempt), secrets.token_urlsafe(48))
    assert error_of(wrong) == (400, "invalid_grant")
    assert "code_verifier" in wrong.json()["error_description"]
    other = site.attempt()  # a verifier of another attempt is wrong too
    crossed = await site.trade(await site.code(attempt), other.verifier)
    assert error_of(crossed) == (400, "invalid_grant")


async def test_a_failed_attempt_spends_the_code(site: Site) -> None:
    attempt = site.attempt()
    code = await site.code(attempt)
    assert error_of(await site.trade(code, "x" * 43)) == (400, "invalid_grant")
    spent = await site.trade(code, attempt.verifier)
    assert error_of(spent) == (400, "invalid_grant")
    assert spent.json()["error_description"] == "the code was already used"


async def test_a_code_is_used_once(site: Site) -> None:
    attempt = site.attempt()
    code = await site.code(attempt)
    first = await site.trade(code, attempt.verifier)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    again = await site.trade(code, attempt.verifier)
    assert error_of(again) == (400, "invalid_grant")
    assert "already used" in again.json()["error_description"]
    unknown = await site.trade(secrets.token_urlsafe(32), attempt.verifier)
    assert error_of(unknown) == (400, "invalid_grant")


async def test_a_code_expires_after_five_minutes(site: Site) -> None:
    attempt = site.attempt()
    code = await site.code(attempt)
    site.clock.advance(CODE_TTL + 1)
    expired = await site.trade(code, attempt.verifier)
    assert error_of(expired) == (400, "invalid_grant")
    assert expired.json()["error_description"] == "the code expired"
    fresh = site.attempt()
    code = await site.code(fresh)
    site.clock.advance(CODE_TTL - 1)
    assert (await site.trade(code, fresh.verifier)).status_code == 200


async def test_the_redirect_uri_must_match_the_authorization(site: Site) -> None:
    attempt = site.attempt()
    other = await site.trade(
        await site.code(attempt), attempt.verifier, redirect_uri="http://127.0.0.1:9/cb"
    )
    assert error_of(other) == (400, "invalid_grant")
    missing = await site.http.post(
        f"{site.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": await site.code(attempt),
            "code_verifier": attempt.verifier,
        },
        auth=(site.client_id, site.secret),
    )
    assert error_of(missing) == (400, "invalid_request")


@pytest.mark.parametrize("auth", ["basic", "post"])
async def test_a_wrong_client_secret_is_invalid_client(site: Site, auth: str) -> None:
    attempt = site.attempt()
    code = await site.code(attempt)
    wrong = await site.trade(code, attempt.verifier, auth=auth, secret="not-the-secret")
    assert error_of(wrong) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    other = await site.users.create_bot("rival_bot", oidc_redirect_uris=[REDIRECT])
    stolen = await site.trade(code, attempt.verifier, auth=auth, secret=other["oidc_client_secret"])
    assert error_of(stolen) == (401, "invalid_client")
    # the code was not spent by strangers: its client still trades it
    assert (await site.trade(code, attempt.verifier, auth=auth)).status_code == 200


async def test_client_authentication_shapes(site: Site) -> None:
    attempt = site.attempt()
    code = await site.code(attempt)
    token = f"{site.issuer}/token"
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    nobody = await site.http.post(token, data={**base, "code_verifier": attempt.verifier})
    assert error_of(nobody) == (401, "invalid_client")
    no_secret = await site.http.post(token, data={**base, "client_id": site.client_id})
    assert error_of(no_secret) == (401, "invalid_client")
    both = await site.http.post(
        token, data={**base, "client_secret": site.secret}, auth=(site.client_id, site.secret)
    )
    assert error_of(both) == (400, "invalid_request")
    garbled = await site.http.post(token, data=base, headers={"Authorization": "Basic !!"})
    assert error_of(garbled) == (401, "invalid_client")
    other = await site.users.create_bot("second_bot", oidc_redirect_uris=[REDIRECT])
    foreign = await site.trade(
        code, attempt.verifier, secret=other["oidc_client_secret"], client_id=str(other["id"])
    )
    assert error_of(foreign) == (400, "invalid_request")  # client_id differs from Basic's
    # another bot with its own secret cannot trade this bot's code
    theirs = Site(site.sandbox, site.users, site.http, site.clock, other, site.user)
    assert error_of(await theirs.trade(code, attempt.verifier)) == (400, "invalid_grant")
    assert (await site.trade(code, attempt.verifier)).status_code == 200


async def test_grant_types_and_bodies_the_token_endpoint_refuses(site: Site) -> None:
    token = f"{site.issuer}/token"
    creds = (site.client_id, site.secret)
    refresh = await site.http.post(token, data={"grant_type": "refresh_token"}, auth=creds)
    assert error_of(refresh) == (400, "unsupported_grant_type")
    bare = await site.http.post(token, data={}, auth=creds)
    assert error_of(bare) == (400, "invalid_request")
    as_json = await site.http.post(token, json={"grant_type": "authorization_code"}, auth=creds)
    assert error_of(as_json) == (400, "invalid_request")
    assert (await site.http.get(token)).status_code == 405


async def test_browsers_may_read_the_metadata_but_not_trade_codes(site: Site) -> None:
    origin = {"Origin": "https://site.test"}
    meta = await site.http.get(f"{site.issuer}/.well-known/openid-configuration", headers=origin)
    assert meta.headers["access-control-allow-origin"] == "*"
    preflight = await site.http.options(
        f"{site.issuer}/token",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    posted = await site.http.post(
        f"{site.issuer}/token", data={"grant_type": "authorization_code"}, headers=origin
    )
    assert posted.status_code == 401
    assert "access-control-allow-origin" not in posted.headers


# -- algorithms and keys ----------------------------------------------------------------


@pytest.mark.parametrize("algorithm", TELEGRAM_ALGORITHMS)
async def test_each_algorithm_signs_and_verifies(site: Site, algorithm: str) -> None:
    configured = await site.users.set_bot_oidc(site.bot["id"], algorithm=algorithm)
    assert configured["algorithm"] == algorithm
    assert configured["redirect_uris"] == [REDIRECT, "http://127.0.0.1:9/cb"]  # kept
    claims = (await site.log_in())["claims"]
    assert claims["header"]["alg"] == algorithm
    current = {k["alg"]: k["kid"] for k in await site.users.oidc_keys() if k["current"]}
    assert claims["header"]["kid"] == current[algorithm]
    jwks = (await site.http.get(f"{site.issuer}/.well-known/jwks.json")).json()
    (served,) = [k for k in jwks["keys"] if k["kid"] == current[algorithm]]
    assert served["alg"] == algorithm
    # without its key, the JWKS does not verify it
    others = KeySet.import_key_set({"keys": [k for k in jwks["keys"] if k is not served]})
    token = (await site.log_in())["id_token"]
    with pytest.raises(InvalidKeyIdError):
        await site.verify(token, "", others)


async def test_rotation_keeps_the_old_key_for_its_overlap(site: Site) -> None:
    before = await site.log_in()
    old_kid = before["claims"]["header"]["kid"]
    rotated = await site.users.rotate_oidc_keys("RS256", overlap_seconds=600)
    (new_kid,) = rotated["rotated"]
    assert new_kid != old_kid
    published = {k["kid"]: k for k in rotated["keys"]}
    assert published[old_kid]["current"] is False
    assert published[old_kid]["retire_at"] == pytest.approx(site.clock() + 600)
    assert published[new_kid]["current"] is True
    # during the overlap: the old token still verifies, new tokens carry the new kid
    await site.verify(before["id_token"], before["claims"]["nonce"])
    after = await site.log_in()
    assert after["claims"]["header"]["kid"] == new_kid
    # after it, the old key is gone from the JWKS and the old token no longer verifies
    site.clock.advance(601)
    kids = {
        k["kid"]
        for k in (await site.http.get(f"{site.issuer}/.well-known/jwks.json")).json()["keys"]
    }
    assert old_kid not in kids
    assert new_kid in kids
    with pytest.raises(InvalidKeyIdError):
        await site.verify(before["id_token"], before["claims"]["nonce"])
    await site.verify(after["id_token"], after["claims"]["nonce"])


async def test_rotating_every_key_at_once_without_overlap(site: Site) -> None:
    old = {k["kid"] for k in await site.users.oidc_keys()}
    assert len(old) == 4
    rotated = await site.users.rotate_oidc_keys(overlap_seconds=0)
    assert len(rotated["rotated"]) == 4
    assert {k["kid"] for k in rotated["keys"]} == set(rotated["rotated"])
    assert not old & set(rotated["rotated"])


# -- the bot's settings and the saved world ---------------------------------------------


async def test_bot_settings_through_the_control_api(site: Site) -> None:
    users = site.users
    assert site.bot["oidc_redirect_uris"] == [REDIRECT, "http://127.0.0.1:9/cb"]
    assert site.bot["oidc_algorithm"] == "RS256"
    assert len(site.bot["oidc_client_secret"]) >= 32
    client = await users.bot_oidc(site.bot["id"])
    assert client == {
        "client_id": site.client_id,
        "client_secret": site.secret,
        "redirect_uris": [REDIRECT, "http://127.0.0.1:9/cb"],
        "algorithm": "RS256",
    }
    changed = await users.set_bot_oidc(
        site.bot["id"], redirect_uris=["https://a.test/cb", "https://a.test/cb"], algorithm="ES256"
    )
    assert changed["redirect_uris"] == ["https://a.test/cb"]
    assert changed["algorithm"] == "ES256"
    for bad in (["/relative"], ["ftp://a.test/cb"], ["https://a.test/cb#frag"]):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await users.set_bot_oidc(site.bot["id"], redirect_uris=bad)
        assert refused.value.response.status_code == 400
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await users.create_bot("bad_uri_bot", oidc_redirect_uris=bad)
        assert refused.value.response.status_code == 400
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await users.set_bot_oidc(site.bot["id"], algorithm="HS256")
    assert refused.value.response.status_code == 422
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await users.bot_oidc(42)
    assert refused.value.response.status_code == 404
    second = await users.create_bot("second_bot")
    assert second["oidc_client_secret"] != site.secret
    assert second["oidc_redirect_uris"] == []


def test_a_saved_world_keeps_keys_secrets_subjects_and_bot_access() -> None:
    world = World()
    bot = world.add_bot("keep_bot", oidc_redirect_uris=[REDIRECT])
    user = world.add_account("Keep")
    provider = SandboxOidcProvider(world)
    verifier = secrets.token_urlsafe(48)
    params = {
        "client_id": [str(bot.id)],
        "redirect_uri": [REDIRECT],
        "response_type": ["code"],
        "scope": ["openid profile telegram:bot_access"],
        "code_challenge": [s256(verifier)],
        "code_challenge_method": ["S256"],
    }
    request = provider.begin(params)
    code = query_of(
        provider.approve(user.id, request.id, share_phone_number=False, write_allowed=True)
    )["code"]
    form = {
        "grant_type": ["authorization_code"],
        "code": [code],
        "redirect_uri": [REDIRECT],
        "code_verifier": [verifier],
    }
    basic = base64.b64encode(f"{bot.id}:{bot.oidc_client_secret}".encode()).decode()
    issued = provider.token(form, f"Basic {basic}", "http://tg.test/oauth")
    jwks = provider.keys.jwks()

    again = load(json.loads(json.dumps(dump(world))))
    loaded = SandboxOidcProvider(again)
    assert again.bots[bot.id].oidc_client_secret == bot.oidc_client_secret
    assert again.bots[bot.id].oidc_redirect_uris == [REDIRECT]
    assert again.dialogs[(bot.id, user.id)].write_allowed is True
    assert loaded.keys.jwks() == jwks
    assert loaded.subject(bot.id, user.id) == provider.subject(bot.id, user.id)
    token = jwt.decode(issued["id_token"], KeySet.import_key_set(loaded.keys.jwks()))
    assert token.claims["sub"] == loaded.subject(bot.id, user.id)
    old_files = dump(world)
    del old_files["oidc"]
    assert load(old_files).oidc_keys == []  # state saved before Telegram Login still loads


# -- never a 500 ------------------------------------------------------------------------

NAMES = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "grant_type",
    "code",
    "code_verifier",
    "client_secret",
]
fields = st.lists(st.tuples(st.sampled_from(NAMES), st.text(max_size=30)), max_size=8)


@functools.cache
def fuzz_target() -> tuple[FastAPI, list[tuple[str, str]], list[tuple[str, str]]]:
    """One sandbox for every example (what they leave behind is more junk to meet), and the
    valid start of an authorization request and of a token request."""
    world = World()
    bot = world.add_bot("fuzz_bot", oidc_redirect_uris=[REDIRECT])
    authorize = [
        ("client_id", str(bot.id)),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", s256("v" * 43)),
        ("code_challenge_method", "S256"),
    ]
    token = [
        ("grant_type", "authorization_code"),
        ("client_id", str(bot.id)),
        ("client_secret", bot.oidc_client_secret),
    ]
    return create_app(SandboxState(world)), authorize, token


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pairs=fields,
    valid_start=st.booleans(),
    endpoint=st.sampled_from(["auth", "token"]),
    authorization=st.none()
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(
        lambda t: "Basic " + t
    ),
)
async def test_junk_never_answers_500(
    pairs: list[tuple[str, str]], valid_start: bool, endpoint: str, authorization: str | None
) -> None:
    app, authorize, token = fuzz_target()
    if valid_start:
        pairs = (authorize if endpoint == "auth" else token) + pairs
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        if endpoint == "auth":
            answer = await http.get(f"/oauth/auth?{urlencode(pairs)}")
            assert answer.status_code in {302, 400}
        else:
            answer = await http.post(
                "/oauth/token",
                content=urlencode(pairs),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            )
            assert answer.status_code in {400, 401}
            assert set(answer.json()) == {"error", "error_description"}


# -- in a browser: the phone asks, the user answers -------------------------------------


async def test_the_phone_asks_and_the_browser_goes_back_to_the_site(site: Site) -> None:
    from playwright.async_api import expect

    from tests.browser import browser_page, screenshot

    attempts: dict[str, Attempt] = {}
    app = FastAPI()
    server = LoopbackServer(app)
    callback = f"{server.url}/cb"
    await site.users.set_bot_oidc(site.bot["id"], redirect_uris=[callback])

    @app.get("/login")
    async def login() -> RedirectResponse:
        attempt = site.attempt("openid profile phone telegram:bot_access", redirect_uri=callback)
        attempts[attempt.state] = attempt
        return RedirectResponse(attempt.url)

    @app.get("/cb")
    async def back(request: Request) -> HTMLResponse:
        query = request.query_params
        attempt = attempts.pop(query["state"])
        if "error" in query:
            return HTMLResponse(f"<p id='result'>refused: {query['error']}</p>")
        answer = await site.trade(query["code"], attempt.verifier, redirect_uri=callback)
        claims = await site.verify(answer.json()["id_token"], attempt.nonce)
        text = f"{claims['name']} {claims['id']} {claims.get('phone_number', 'no phone')}"
        return HTMLResponse(f"<p id='result'>{text} {answer.json()['scope']}</p>")

    plain = await site.users.create_user("Ann")
    async with server, browser_page() as page:
        await page.goto(f"{server.url}/login")
        sheet = page.get_by_test_id("oidc-login")
        await sheet.wait_for(state="visible")
        await page.get_by_test_id("user-select").select_option(str(plain["id"]))
        await expect(page.get_by_test_id("oidc-share-phone")).to_be_disabled()
        await expect(page.get_by_test_id("oidc-approve")).to_have_text("Log in as Ann")
        await page.get_by_test_id("user-select").select_option(str(site.user["id"]))
        await expect(page.get_by_test_id("oidc-approve")).to_have_text("Log in as Зоя 🚀 Lee")
        await expect(page.get_by_test_id("oidc-share-phone")).to_be_enabled()
        await expect(sheet).to_contain_text(f"Log in to {server.url}")
        await expect(sheet).to_contain_text("Allow @site_bot to message me")
        await expect(sheet).to_contain_text("Your phone number, if you share it")
        await page.get_by_test_id("oidc-share-phone").check()
        await screenshot(page, "phone-oidc-login")
        await page.get_by_test_id("oidc-approve").click()
        result = page.locator("#result")
        await result.wait_for(timeout=10_000)
        assert await result.inner_text() == (
            f"Зоя 🚀 Lee {site.user['id']} +15550001 openid profile phone telegram:bot_access"
        )

        await page.goto(f"{server.url}/login")
        await page.get_by_test_id("oidc-decline").click()
        await result.wait_for(timeout=10_000)
        assert await result.inner_text() == "refused: access_denied"
