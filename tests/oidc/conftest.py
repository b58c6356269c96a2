"""The OpenID provider composed as the service composes it: the real services (SQLite and an
in-memory KV, a recording Telegram), the app as ``create_app`` makes it, and on the services
a provider that reads this test's clock. ``Site.serve()`` puts it on a loopback port for
clients that speak real HTTP; ``Site.browser()`` is a user agent with its own cookies."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import API_KEY as API_KEY
from tests.harness.site import SITE_AUTH as SITE_AUTH
from tests.harness.site import TOKEN, assemble, site_settings, sqlite_settings
from tgpass.bootstrap import Services
from tgpass.sandbox.server import free_port
from tgpass.service.oidc.provider.claims import ChatsOf, no_chats
from tgpass.service.oidc.provider.keys import SIGNING_ALGORITHMS, new_key
from tgpass.service.oidc.provider.service import Lifetimes, OidcProvider
from tgpass.service.oidc.provider.store import SigningKey
from tgpass.store.sql import make_engine, migrate
from tgpass.store.sql.oidc import SqlOidcStore
from tgpass.verify import sign_login_widget

CALLBACK = "http://127.0.0.1:9/callback"  # the relying party's: nothing listens, nothing needs to
_FORM = re.compile(r'<form method="post" action="([^"]+)">')
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


class Clock:
    """Now, plus whatever a test adds."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Site:
    services: Services
    provider: OidcProvider
    app: Any
    issuer: str
    port: int
    clock: Clock
    _server: uvicorn.Server | None = field(default=None, repr=False)

    @contextlib.asynccontextmanager
    async def browser(self) -> AsyncIterator[Browser]:
        """A user agent: over real HTTP once served, else straight into the app."""
        transport = None if self._server else httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(base_url=self.issuer, transport=transport) as client:
            yield Browser(self, client)

    def client(self, **options: Any) -> httpx.AsyncClient:
        transport = None if self._server else httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(base_url=self.issuer, transport=transport, **options)

    async def serve(self) -> None:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_config=None,  # records go to the root logger, where caplog sees them
            log_level="info",
            access_log=True,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                await self._task
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            await self._task

    async def add_client(self, **options: Any) -> tuple[str, str | None]:
        options.setdefault("redirect_uris", [CALLBACK])
        made = await self.provider.register_client(options.pop("name", "Forum"), **options)
        return made.client.client_id, made.secret


@dataclass
class Browser:
    site: Site
    http: httpx.AsyncClient
    user: dict[str, Any] = field(default_factory=dict)
    csrf: str = ""

    async def register(self, username: str = "ann", password: str = "correct horse") -> None:
        answer = await self.http.post(
            "/api/auth/register",
            json={"username": username, "password": password, "display_name": "Ann Lee"},
        )
        assert answer.status_code == 201, answer.text
        self.user, self.csrf = answer.json()["user"], answer.json()["csrf_token"]

    async def sign_in_with_telegram(self, telegram_id: int = 5_000_000_001) -> None:
        fields = sign_login_widget(
            {
                "id": telegram_id,
                "first_name": "Зоя",
                "last_name": "Ivanova",
                "username": "zoya",
                "photo_url": "https://t.me/i/userpic/320/zoya.jpg",
            },
            TOKEN,
            auth_date=int(time.time()),
        )
        answer = await self.http.post("/api/auth/telegram/widget", json=fields)
        assert answer.status_code == 200, answer.text
        self.user, self.csrf = answer.json()["user"], answer.json()["csrf_token"]

    async def authorize(self, url: str, *, decision: str | None = "allow") -> httpx.Response:
        """Open an authorization URL; on the consent page, answer ``decision`` (None: stay
        there). The last answer: a redirect, the consent page, or an error page."""
        answer = await self.http.get(url)
        if answer.status_code == 200 and decision is not None and "consent-allow" in answer.text:
            action = unescape(_FORM.findall(answer.text)[-1])
            csrf = _CSRF.findall(answer.text)[-1]
            answer = await self.http.post(action, data={"csrf_token": csrf, "decision": decision})
        return answer

    async def code_for(self, url: str) -> dict[str, str]:
        """Authorize and return what came back to the client (code, state or error)."""
        answer = await self.authorize(url)
        assert answer.status_code in {302, 303}, answer.text
        location = answer.headers["location"]
        assert location.startswith(CALLBACK), location
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert query["iss"] == self.site.issuer  # RFC 9207, on every response
        return query


@functools.cache
def seed_keys() -> tuple[SigningKey, ...]:
    """Signing keys made once per run: an RSA key takes a tenth of a second to make."""
    made = time.time()
    return tuple(new_key(alg, made) for alg in SIGNING_ALGORITHMS)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated once; each site starts from a copy."""
    path = tmp_path_factory.mktemp("oidc-template") / "tgpass.sqlite3"

    async def run() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return path


async def make_site(
    tmp_path: Path,
    *,
    chats_of: ChatsOf = no_chats,
    lifetimes: Lifetimes | None = None,
    issuer: str | None = None,
    template: Path | None = None,
) -> Site:
    if template is not None:
        shutil.copyfile(template, tmp_path / "tgpass.sqlite3")
    port = free_port()
    issuer = issuer or f"http://127.0.0.1:{port}"
    settings = site_settings(
        sqlite_settings(tmp_path),
        public_url=issuer,
        webhook_secret="",
        site_name="Example",
        worker=False,
    )
    clock = Clock()

    async def with_the_provider(services: Services) -> None:
        provider = OidcProvider(
            SqlOidcStore(services.engine),
            services.accounts,
            issuer=issuer,
            chats_of=chats_of,
            lifetimes=lifetimes,
            clock=clock,
        )
        await provider.store.add_keys(seed_keys())
        services.oidc_provider = provider  # the app finds the provider on the services

    services, app = await assemble(
        settings,
        telegram=RecordingTelegram(),
        migrate=template is None,
        prepare=with_the_provider,
    )
    provider = services.oidc_provider
    assert isinstance(provider, OidcProvider)
    return Site(services, provider, app, issuer, port, clock)


@pytest.fixture
async def site(tmp_path: Path, migrated: Path) -> AsyncIterator[Site]:
    found = await make_site(tmp_path, template=migrated)
    try:
        yield found
    finally:
        await found.stop()
        await found.services.close()


@pytest.fixture
async def served(site: Site) -> Site:
    await site.serve()
    return site


def auth_url(
    client_id: str,
    *,
    scope: str = "openid",
    redirect_uri: str = CALLBACK,
    verifier: str | None = None,
    **extra: str,
) -> str:
    """An authorization request (with a PKCE S256 challenge for ``verifier``)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "st-1",
        **extra,
    }
    if verifier is not None:
        params["code_challenge"] = create_s256_code_challenge(verifier)
        params["code_challenge_method"] = "S256"
    return f"/oidc/authorize?{urlencode(params)}"


async def exchange(
    http: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    code: str,
    *,
    verifier: str | None = None,
    redirect_uri: str = CALLBACK,
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    return await _token(http, client_id, secret, data)


async def refresh(
    http: httpx.AsyncClient, client_id: str, secret: str | None, refresh_token: str
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await _token(http, client_id, secret, data)


async def _token(
    http: httpx.AsyncClient, client_id: str, secret: str | None, data: dict[str, str]
) -> httpx.Response:
    if secret is None:
        return await http.post("/oidc/token", data={**data, "client_id": client_id})
    return await http.post("/oidc/token", data=data, auth=(client_id, secret))


async def userinfo(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access_token}"})
