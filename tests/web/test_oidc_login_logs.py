"""A whole Telegram Login over real HTTP, with every logger at DEBUG: no code, state, nonce,
PKCE verifier, token, client secret or session reaches any log record. The site is served by
uvicorn (its access log on), the browser speaks HTTP to it, and the site speaks HTTP to the
sandbox's provider: httpx, httpcore and Authlib all log what they would."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.harness.site import SECRET_KEY, loopback, running_site, sandbox_bot, sandbox_settings
from tgpass.bootstrap import Services
from tgpass.sandbox.server import Sandbox
from tgpass.service.oidc.client import TelegramLoginClient


class Recorder(httpx.AsyncBaseTransport):
    """The site's way to Telegram Login: real HTTP, with the token exchange kept aside."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.token_requests: list[dict[str, list[str]]] = []
        self.token_answers: list[dict[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/token"):
            return response
        self.token_requests.append(parse_qs((await request.aread()).decode()))
        body = await response.aread()
        self.token_answers.append(json.loads(body))
        return httpx.Response(response.status_code, content=body, headers=response.headers)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Served:
    url: str
    sandbox: Sandbox
    services: Services
    bot: dict[str, str]
    recorder: Recorder
    secrets: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    port, site = loopback()
    async with sandbox_bot(
        "login_bot", first_name="Login", oidc_redirect_uris=[f"{site}/auth/telegram/oidc/callback"]
    ) as (sandbox, bot):
        settings = sandbox_settings(
            sandbox,
            bot["token"],
            tmp_path,
            sqlite_name="logs.sqlite3",
            public_url=site,
            worker=False,
            oidc_issuer=sandbox.oidc_issuer,
            oidc_client_secret=bot["oidc_client_secret"],
        )
        recorder = Recorder()

        async def through_the_recorder(services: Services) -> None:
            made = services.telegram_login
            assert made is not None
            await made.close()
            services.telegram_login = TelegramLoginClient(
                made.config, services.kv, services.auth, secret_key=SECRET_KEY, transport=recorder
            )

        async with running_site(
            settings, prepare=through_the_recorder, port=port, logs=True
        ) as running:
            yield Served(site, sandbox, running.services, bot, recorder)


async def test_a_whole_telegram_login_logs_no_secret(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    users = served.sandbox.users
    assert users is not None
    tg = int((await users.create_user("Зоя", username="zoya_logs"))["id"])
    async with httpx.AsyncClient(base_url=served.url) as browser:  # real HTTP, through httpcore
        started = await browser.get("/auth/telegram/oidc", params={"next": "/account?tab=1"})
        assert started.status_code == 303
        authorize = started.headers["location"]
        asked = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        approved = await users.approve_oidc_login(tg, authorize_url=authorize)
        callback = str(approved["url"])
        code = parse_qs(urlsplit(callback).query)["code"][0]
        back = await browser.get(callback)
        assert back.status_code == 303, back.text
        assert back.headers["location"] == "/account?tab=1"
        assert (await browser.get("/api/me")).json()["source"] == "oidc"
        session = browser.cookies["tgpass_session"]
        browser_cookie = started.cookies["tgpass_oidc"]
    (sent,), (answer,) = served.recorder.token_requests, served.recorder.token_answers
    secrets = {
        "code": code,
        "state": asked["state"],
        "nonce": asked["nonce"],
        "code challenge": asked["code_challenge"],
        "code verifier": sent["code_verifier"][0],
        "client secret": served.bot["oidc_client_secret"],
        "access token": answer["access_token"],
        "id token": answer["id_token"],
        "id token signature": answer["id_token"].rsplit(".", 1)[1],
        "session": session,
        "login cookie": browser_cookie,
        "bot token": served.bot["token"].split(":", 1)[1],
    }
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records
    )
    assert "GET /auth/telegram/oidc/callback" in logged  # the access log was on
    for name, value in secrets.items():
        assert value not in logged, f"the {name} was logged"
    chatty = {"authlib", "httpcore", "httpx"}
    assert not [r for r in caplog.records if r.name.split(".")[0] in chatty and r.levelno < 20]
