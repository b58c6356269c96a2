"""Sign in with Telegram's JS library (telegram-login.js) through the sandbox's provider, over
HTTP: the page gets a one-time nonce, the popup (the sandbox's phone) hands it an ID token, the
site verifies it as the redirect flow's and signs the browser in, in the same account. Every
way it fails answers JSON with a 4xx and stores nothing. And the sandbox's side: the popup's
requests, its answer page, the script it serves."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.harness.site import SITE, running_site
from tests.harness.stack import settings_for
from tgpass.bootstrap import Services
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.sandbox.world import World
from tgpass.service.oidc.client import TelegramLoginClient
from tgpass.store.kv.memory import MemoryStore
from tgpass.testing import FrozenClock
from tgpass.web.app import create_app

Json = dict[str, Any]
CALLBACK = f"{SITE}/auth/telegram/oidc/callback"
PAGE = f"{SITE}/login"
NONCE = "/api/auth/telegram/oidc/nonce"
TOKEN = "/api/auth/telegram/oidc/token"
RESULT = re.compile(r'<script type="application/json" id="auth-result">(.*?)</script>', re.S)


def claims_of(token: str) -> Json:
    part = token.split(".")[1]
    decoded: Json = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


@dataclass
class Site:
    sandbox: Sandbox
    services: Services
    web: httpx.AsyncClient
    bot: Json
    nonce_clock: FrozenClock

    @property
    def users(self) -> SandboxUsers:
        assert self.sandbox.users is not None
        return self.sandbox.users

    async def tg_user(self, first_name: str = "Зоя 🚀", **details: Any) -> int:
        return int((await self.users.create_user(first_name, **details))["id"])

    async def nonce(self, web: httpx.AsyncClient | None = None, **body: Any) -> Json:
        """What the login page asks before it opens the popup."""
        answer = await (web or self.web).post(NONCE, json=body)
        assert answer.status_code == 200, answer.text
        options: Json = answer.json()
        return options

    def authorize_url(self, options: Json, page: str = PAGE) -> str:
        """Where telegram-login.js opens its popup, for ``Telegram.Login.auth(options)``."""
        access = {"phone": "phone", "write": "telegram:bot_access"}
        scopes = ["openid", "profile", *(access[a] for a in options["request_access"])]
        query = {
            "response_type": "post_message",
            "client_id": options["client_id"],
            "redirect_uri": page,
            "scope": " ".join(scopes),
            "nonce": options["nonce"],
        }
        return f"{self.sandbox.oidc_issuer}/auth?{urlencode(query)}"

    async def popup_answer(self, path: str) -> tuple[str, Json]:
        """What the popup's last page posts to the site's page: (target origin, message)."""
        page = await self.sandbox_get(path)
        assert page.status_code == 200, page.text
        found = RESULT.search(page.text)
        assert found is not None, page.text
        data: Json = json.loads(found.group(1))
        return data["origin"], data["message"]

    async def sandbox_get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.sandbox.url) as phone:
            return await phone.get(path)

    async def id_token(self, tg_user: int, options: Json | None = None, **answer: Any) -> str:
        """The user approves on the phone: the ID token the library hands the page."""
        options = options or await self.nonce()
        approved = await self.users.approve_oidc_login(
            tg_user, authorize_url=self.authorize_url(options), **answer
        )
        origin, message = await self.popup_answer(str(approved["url"]))
        assert origin == SITE
        assert message["event"] == "auth_result"
        token: str = message["result"]
        return token

    def resign(self, token: str, change: Callable[[Json], Json]) -> str:
        """``token`` with its claims changed, signed again with the sandbox's real key."""
        alg = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"]
        return self.sandbox.state.oidc.keys.sign(change(claims_of(token)), alg)

    def sessions(self) -> int:
        kv = self.services.kv
        assert isinstance(kv, MemoryStore)
        return sum(key.startswith("session:") for key in kv._data)

    async def refused(
        self, answer: httpx.Response, status: int, code: str, tg_user: int | None = None
    ) -> None:
        """A JSON error with ``code``, and nothing stored: no session, no account."""
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["error"]["code"] == code, answer.text
        assert isinstance(answer.json()["error"]["message"], str)
        assert "tgpass_session" not in answer.headers.get("set-cookie", "")
        assert self.sessions() == 0
        assert (await self.web.get("/api/me")).status_code == 401
        if tg_user is not None:
            assert await self.services.accounts.find_user(telegram_id=tg_user) is None


async def _site(tmp_path: Path, sandbox: Sandbox, **overrides: Any) -> AsyncIterator[Site]:
    users = sandbox.users
    assert users is not None
    bot = await users.create_bot(
        "example_site_bot", first_name="Example", oidc_redirect_uris=[CALLBACK]
    )
    oidc = {
        "oidc_client_secret": bot["oidc_client_secret"],
        "oidc_issuer": sandbox.oidc_issuer,
        "worker": False,
    }
    settings = settings_for(sandbox, bot["token"], tmp_path, **{**oidc, **overrides})
    nonce_clock = FrozenClock(time.monotonic())

    async def nonces_on_a_clock(services: Services) -> None:
        """Pending logins and nonces in a store of their own, whose time the test moves."""
        made = services.telegram_login
        if made is not None:
            await made.close()
            services.telegram_login = TelegramLoginClient(
                made.config,
                MemoryStore(nonce_clock),
                services.auth,
                secret_key=settings.secret_key,
            )

    async with running_site(settings, prepare=nonces_on_a_clock) as running:
        yield Site(sandbox, running.services, running.web, bot, nonce_clock)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with Sandbox(World()) as sandbox:
        sandbox.world.flood.limits.enabled = False
        async for made in _site(tmp_path, sandbox):
            yield made


# -- signing in -------------------------------------------------------------------------------


async def test_the_nonce_comes_with_the_librarys_options_and_a_bound_cookie(site: Site) -> None:
    answer = await site.web.post(NONCE, json={})
    assert answer.status_code == 200, answer.text
    options = answer.json()
    assert options["client_id"] == str(site.bot["id"])
    assert options["request_access"] == ["phone", "write"]  # the site's scopes, as the library says
    assert len(options["nonce"]) >= 32
    assert options["expires_in"] == 600
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "path=/api/auth/telegram/oidc" in cookie
    assert "samesite=strict" in cookie
    # the same browser keeps its value; every nonce is new
    again = await site.web.post(NONCE, json={})
    assert again.json()["nonce"] != options["nonce"]
    assert "set-cookie" in again.headers


async def test_an_id_token_signs_in_with_source_oidc(site: Site) -> None:
    tg = await site.tg_user("Зоя 🚀", last_name="Lee", username="zoya", phone_number="+15550001")
    token = await site.id_token(tg, share_phone_number=True)
    claims = claims_of(token)
    assert claims["aud"] == str(site.bot["id"])
    assert claims["iss"] == site.sandbox.oidc_issuer

    answer = await site.web.post(TOKEN, json={"id_token": token})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["source"], body["next"]) == ("oidc", "/account")
    assert body["csrf_token"]
    assert "tgpass_session" in answer.headers["set-cookie"]
    assert answer.headers["cache-control"] == "no-store"

    me = (await site.web.get("/api/me")).json()
    assert me["source"] == "oidc"
    assert me["telegram"]["id"] == tg  # the id claim, not sub
    assert me["telegram"]["username"] == "zoya"
    assert me["telegram"]["phone_number"] == "+15550001"  # shared, verified by Telegram
    assert me["user"]["display_name"] == "Зоя 🚀 Lee"
    assert me["user"]["id"] == body["user"]["id"]


async def test_the_same_account_as_a_second_sign_in_and_the_redirect_flows(site: Site) -> None:
    tg = await site.tg_user("Ann")
    first = await site.web.post(TOKEN, json={"id_token": await site.id_token(tg)})
    account = first.json()["user"]["id"]
    site.web.cookies.clear()

    second = await site.web.post(TOKEN, json={"id_token": await site.id_token(tg)})
    assert second.status_code == 200, second.text
    assert second.json()["user"]["id"] == account
    site.web.cookies.clear()

    # the redirect flow reaches the same account
    started = await site.web.get("/auth/telegram/oidc")
    approved = await site.users.approve_oidc_login(tg, authorize_url=started.headers["location"])
    back = await site.web.get(approved["url"])
    assert back.status_code == 303, back.text
    me = (await site.web.get("/api/me")).json()
    assert (me["user"]["id"], me["telegram"]["id"]) == (account, tg)
    link = await site.services.accounts.telegram_link(telegram_id=tg)
    assert link is not None
    assert link.user_id == account
    assert len(await site.services.accounts.audience()) == 1


async def test_next_comes_back_checked(site: Site) -> None:
    tg = await site.tg_user("Ann")
    for asked, landed in [
        ("/account?tab=chats", "/account?tab=chats"),
        ("//evil.example", "/account"),
    ]:
        site.web.cookies.clear()
        token = await site.id_token(tg, await site.nonce(next=asked))
        answer = await site.web.post(TOKEN, json={"id_token": token})
        assert answer.json()["next"] == landed


async def test_the_bots_access_is_not_assumed(site: Site) -> None:
    """The library's answer names no granted scope: the bot may not be able to write first."""
    tg = await site.tg_user("Ben")
    await site.web.post(TOKEN, json={"id_token": await site.id_token(tg, write_allowed=True)})
    link = await site.services.accounts.telegram_link(telegram_id=tg)
    assert link is not None
    assert link.chat_id is None


# -- every way it fails -----------------------------------------------------------------------


async def test_bad_requests_are_json_errors(site: Site) -> None:
    tg = await site.tg_user()
    headers = {"Content-Type": "application/json"}
    broken = await site.web.post(TOKEN, content=b'{"id_token": ', headers=headers)
    await site.refused(broken, 422, "invalid_input")
    for body in ({}, {"id_token": ""}, {"id_token": 12}, {"id_token": None}, [], "x"):
        await site.refused(await site.web.post(TOKEN, json=body), 422, "invalid_input")
    huge = {"id_token": "a" * 20_000}
    await site.refused(await site.web.post(TOKEN, json=huge), 422, "invalid_input")
    form = await site.web.post(TOKEN, data={"id_token": await site.id_token(tg)})
    await site.refused(form, 422, "unsupported_media_type", tg)
    nonce_form = await site.web.post(NONCE, data={"next": "/"})
    assert nonce_form.status_code == 422
    for bad in ("abc", "a.b.c", "e30.e30.", "!!.!!.!!"):
        malformed = await site.web.post(TOKEN, json={"id_token": bad})
        await site.refused(malformed, 401, "malformed")


async def test_a_token_without_the_nonce_or_with_an_unknown_one(site: Site) -> None:
    tg = await site.tg_user()
    token = await site.id_token(tg)
    nonce = claims_of(token)["nonce"]

    def without_nonce(claims: Json) -> Json:
        return {k: v for k, v in claims.items() if k != "nonce"}

    def with_nonce(value: str) -> Callable[[Json], Json]:
        return lambda claims: {**claims, "nonce": value}

    missing = await site.web.post(TOKEN, json={"id_token": site.resign(token, without_nonce)})
    await site.refused(missing, 401, "nonce_mismatch", tg)
    unknown = site.resign(token, with_nonce("n" * 32))  # never issued here
    await site.refused(await site.web.post(TOKEN, json={"id_token": unknown}), 401, "bad_nonce", tg)
    # the right nonce still signs in: failures above did not spend it
    assert claims_of(token)["nonce"] == nonce
    assert (await site.web.post(TOKEN, json={"id_token": token})).status_code == 200


async def test_a_nonce_is_used_once(site: Site) -> None:
    tg = await site.tg_user()
    token = await site.id_token(tg)
    assert (await site.web.post(TOKEN, json={"id_token": token})).status_code == 200
    site.web.cookies.delete("tgpass_session")
    assert site.sessions() == 1
    again = await site.web.post(TOKEN, json={"id_token": token})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "bad_nonce"
    assert "tgpass_session" not in again.headers.get("set-cookie", "")
    assert site.sessions() == 1


async def test_a_nonce_of_another_browser(site: Site) -> None:
    tg = await site.tg_user()
    token = await site.id_token(tg)  # its nonce bound to site.web's cookie
    transport = httpx.ASGITransport(app=create_app(site.services))
    async with httpx.AsyncClient(transport=transport, base_url=SITE) as other:
        await site.nonce(other)  # a browser of its own, with its own cookie
        stolen = await other.post(TOKEN, json={"id_token": token})
        assert stolen.status_code == 401
        assert stolen.json()["error"]["code"] == "bad_nonce"
        assert "another browser" in stolen.json()["error"]["message"]
    await site.refused(stolen, 401, "bad_nonce", tg)
    # and none at all (no cookie)
    async with httpx.AsyncClient(transport=transport, base_url=SITE) as bare:
        cookieless = await bare.post(TOKEN, json={"id_token": token})
        assert cookieless.json()["error"]["code"] == "bad_nonce"


async def test_an_expired_nonce(site: Site) -> None:
    tg = await site.tg_user()
    token = await site.id_token(tg)
    site.nonce_clock.advance(601)
    expired = await site.web.post(TOKEN, json={"id_token": token})
    await site.refused(expired, 401, "bad_nonce", tg)
    assert "expired" in expired.json()["error"]["message"]


async def test_an_expired_token(site: Site) -> None:
    tg = await site.tg_user()
    token = await site.id_token(tg)
    old = int(time.time()) - 7200
    stale = site.resign(token, lambda c: {**c, "iat": old, "exp": old + 3600})
    await site.refused(await site.web.post(TOKEN, json={"id_token": stale}), 401, "expired", tg)


async def test_a_bad_signature(site: Site) -> None:
    tg = await site.tg_user()
    token = await site.id_token(tg)
    header, _, signature = token.split(".")
    claims = claims_of(token)
    claims["id"] = claims["id"] + 1  # another user, under the signature of the first
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    await site.refused(
        await site.web.post(TOKEN, json={"id_token": forged}), 401, "bad_signature", tg
    )


@pytest.mark.parametrize(
    ("claim", "value", "code"),
    [
        ("aud", "999", "wrong_audience"),
        ("iss", "https://oauth.example.com", "wrong_issuer"),
    ],
)
async def test_a_token_for_another_site_or_from_another_issuer(
    site: Site, claim: str, value: str, code: str
) -> None:
    tg = await site.tg_user()
    changed = site.resign(await site.id_token(tg), lambda c: {**c, claim: value})
    await site.refused(await site.web.post(TOKEN, json={"id_token": changed}), 401, code, tg)


async def test_without_telegram_login_the_routes_are_not_found(tmp_path: Path) -> None:
    async with Sandbox(World()) as sandbox:
        async for site in _site(tmp_path, sandbox, oidc_client_secret=""):
            for path, body in ((NONCE, {}), (TOKEN, {"id_token": "a.b.c"})):
                answer = await site.web.post(path, json=body)
                assert answer.status_code == 404
                assert answer.json()["error"]["code"] == "oidc_not_configured"
            page = (await site.web.get("/login")).text
            assert "telegram-login.js" not in page
            assert 'data-testid="oidc-popup-login"' not in page


# -- the login page ---------------------------------------------------------------------------


async def test_the_login_page_loads_the_library_from_the_issuer(site: Site) -> None:
    page = await site.web.get("/login")
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert f"{site.sandbox.oidc_issuer}/js/telegram-login.js" in scripts
    assert 'data-testid="oidc-popup-login"' in page.text
    assert 'data-testid="oidc-login"' in page.text  # the redirect flow stays beside it
    # a page that isolated itself from its popups would never hear back from Telegram's
    assert "same-origin" not in page.headers.get("cross-origin-opener-policy", "")
    served = await site.sandbox_get("/oauth/js/telegram-login.js")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    for api in ("init:", "open:", "auth:", "close:", "post_message", "auth_result"):
        assert api in served.text


# -- the sandbox's side -----------------------------------------------------------------------


async def test_the_popup_answers_once_and_only_to_the_pages_origin(site: Site) -> None:
    tg = await site.tg_user()
    options = await site.nonce()
    approved = await site.users.approve_oidc_login(tg, authorize_url=site.authorize_url(options))
    path = str(approved["url"])
    assert path.startswith("/oauth/auth/result?")
    origin, message = await site.popup_answer(path)
    assert origin == SITE
    assert claims_of(message["result"])["nonce"] == options["nonce"]
    again = await site.sandbox_get(path)
    assert again.status_code == 400
    assert "already answered" in again.text


async def test_a_declined_popup_hands_the_page_access_denied(site: Site) -> None:
    tg = await site.tg_user()
    url = site.authorize_url(await site.nonce())
    declined = await site.users.decline_oidc_login(tg, authorize_url=url)
    origin, message = await site.popup_answer(str(declined["url"]))
    assert (origin, message) == (SITE, {"event": "auth_result", "error": "access_denied"})


async def test_the_popup_refuses_a_page_the_bot_did_not_allow(site: Site) -> None:
    options = await site.nonce()
    for page in ("https://evil.example/login", "javascript:alert(1)", f"{PAGE}#x"):
        refused = await site.sandbox_get(site.authorize_url(options, page=page))
        assert refused.status_code == 400, page
        assert "data-testid='oidc-error'" in refused.text
    # a page on the allowed URL's origin opens the phone
    allowed = await site.sandbox_get(site.authorize_url(options))
    assert allowed.status_code == 302
    assert "?oidc=" in allowed.headers["location"]


async def test_a_popup_request_without_openid_hands_the_page_the_error(site: Site) -> None:
    options = await site.nonce()
    query = {
        "response_type": "post_message",
        "client_id": options["client_id"],
        "redirect_uri": PAGE,
        "scope": "profile",
    }
    refused = await site.sandbox_get(f"/oauth/auth?{urlencode(query)}")
    assert refused.status_code == 302
    origin, message = await site.popup_answer(refused.headers["location"])
    assert (origin, message["error"]) == (SITE, "invalid_scope")
