"""Sign in with Telegram Login (OpenID Connect) through the sandbox's provider, over HTTP:
each signing algorithm, the phone number and the bot's access, the same account as the
widget's, key rotation, and every way a login fails, each on its page with nothing stored."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.harness.draining import drain
from tests.harness.site import running_site
from tests.harness.stack import SITE, settings_for
from tgpass.bootstrap import Services
from tgpass.domain.delivery import OutgoingMessage
from tgpass.sandbox.oidc import CODE_TTL
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.sandbox.world import World
from tgpass.service.oidc.client import TelegramLoginClient
from tgpass.store.kv.memory import MemoryStore
from tgpass.testing import FrozenClock
from tgpass.web.app import create_app

Json = dict[str, Any]
CALLBACK = f"{SITE}/auth/telegram/oidc/callback"
ALGORITHMS = ["RS256", "ES256", "EdDSA", "ES256K"]


def b64json(part: str) -> Json:
    decoded: Json = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


class Spy(httpx.AsyncBaseTransport):
    """The site's way to Telegram Login: real HTTP to the sandbox, with every request
    recorded, paths that fail as an unreachable host would, and the token endpoint's answer
    rewritten when a test says how."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []
        self.unreachable: set[str] = set()
        self.rewrite: Callable[[str], str] | None = None
        self.id_tokens: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if any(path.endswith(p) for p in self.unreachable):
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if not path.endswith("/token") or response.status_code != 200:
            return response
        body: Json = json.loads(await response.aread())
        if self.rewrite is not None:
            body["id_token"] = self.rewrite(body["id_token"])
        self.id_tokens.append(body["id_token"])
        return httpx.Response(200, json=body, headers={"Cache-Control": "no-store"})

    def jwks_fetches(self) -> int:
        return sum(p.endswith("/jwks.json") for p in self.paths)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Site:
    sandbox: Sandbox
    clock: FrozenClock
    services: Services
    web: httpx.AsyncClient
    bot: Json
    spy: Spy = field(default_factory=Spy)

    @property
    def users(self) -> SandboxUsers:
        assert self.sandbox.users is not None
        return self.sandbox.users

    async def tg_user(self, first_name: str = "Зоя 🚀", **details: Any) -> int:
        made = await self.users.create_user(first_name, **details)
        return int(made["id"])

    async def begin(self, next_path: str | None = None) -> str:
        """The browser asks the site to log in with Telegram: where it is sent."""
        params = {"next": next_path} if next_path is not None else {}
        started = await self.web.get("/auth/telegram/oidc", params=params)
        assert started.status_code == 303, started.text
        location = started.headers["location"]
        assert location.startswith(f"{self.sandbox.oidc_issuer}/auth?")
        return location

    async def approve(self, tg_user: int, authorize_url: str, **answer: Any) -> str:
        """The user logs in on the phone: the URL the browser comes back to."""
        approved = await self.users.approve_oidc_login(
            tg_user, authorize_url=authorize_url, **answer
        )
        url = str(approved["url"])
        assert url.startswith(CALLBACK + "?"), url
        return url

    async def log_in(self, tg_user: int, **answer: Any) -> httpx.Response:
        back = await self.web.get(await self.approve(tg_user, await self.begin(), **answer))
        assert back.status_code == 303, back.text
        return back

    def resign(self, change: Callable[[Json], Json]) -> Callable[[str], str]:
        """A rewrite of the ID token: its claims changed, signed again with the real key."""

        def rewrite(token: str) -> str:
            header, payload, _ = token.split(".")
            alg = b64json(header)["alg"]
            return self.sandbox.state.oidc.keys.sign(change(b64json(payload)), alg)

        return rewrite

    def sessions(self) -> int:
        kv = self.services.kv
        assert isinstance(kv, MemoryStore)
        return sum(key.startswith("session:") for key in kv._data)

    async def refused(
        self, answer: httpx.Response, status: int, code: str, tg_user: int | None = None
    ) -> None:
        """The login ended on its error page, and nothing was stored: no account, no session."""
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert 'data-testid="oidc-login-error"' in answer.text
        assert f'data-testid="oidc-login-error-code">{code}<' in answer.text
        assert 'href="/login"' in answer.text
        assert "tgpass_session" not in answer.headers.get("set-cookie", "")
        assert self.sessions() == 0
        assert (await self.web.get("/api/me")).status_code == 401
        if tg_user is not None:
            assert await self.services.accounts.find_user(telegram_id=tg_user) is None
        assert await self.services.accounts.audience() == []


async def _site(
    tmp_path: Path, sandbox: Sandbox, clock: FrozenClock, **overrides: Any
) -> AsyncIterator[Site]:
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
    spy = Spy()

    async def through_the_spy(services: Services) -> None:
        made = services.telegram_login
        if made is not None:  # the site's way to Telegram Login, through the spy
            await made.close()
            services.telegram_login = TelegramLoginClient(
                made.config,
                services.kv,
                services.auth,
                secret_key=settings.secret_key,
                transport=spy,
            )

    async with running_site(settings, prepare=through_the_spy) as running:
        yield Site(sandbox, clock, running.services, running.web, bot, spy)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    clock = FrozenClock()
    async with Sandbox(World(clock)) as sandbox:
        sandbox.world.flood.limits.enabled = False
        async for made in _site(tmp_path, sandbox, clock):
            yield made


# -- signing in -------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_each_algorithm_signs_in_with_source_oidc(site: Site, algorithm: str) -> None:
    await site.users.set_bot_oidc(site.bot["id"], algorithm=algorithm)
    tg = await site.tg_user("Зоя 🚀", last_name="Lee", username="zoya", phone_number="+15550001")
    back = await site.log_in(tg)
    assert back.headers["location"] == "/account"
    assert "tgpass_session" in back.headers["set-cookie"]
    assert b64json(site.spy.id_tokens[-1].split(".")[0])["alg"] == algorithm

    me = (await site.web.get("/api/me")).json()
    assert me["source"] == "oidc"
    assert me["telegram"]["id"] == tg  # the id claim, not sub
    assert me["telegram"]["username"] == "zoya"
    assert me["user"]["display_name"] == "Зоя 🚀 Lee"
    assert me["telegram"]["phone_number"] is None  # not shared
    page = await site.web.get("/account")
    assert 'data-source="oidc">Log in with Telegram<' in page.text


async def test_a_shared_phone_is_kept_verified_and_bot_access_opens_the_chat(site: Site) -> None:
    tg = await site.tg_user("Ann", phone_number="+15550002")
    await site.log_in(tg, share_phone_number=True, write_allowed=True)
    link = await site.services.accounts.telegram_link(telegram_id=tg)
    assert link is not None
    assert link.phone_number == "+15550002"
    assert (link.chat_id, link.bot_blocked) == (tg, False)
    me = (await site.web.get("/api/me")).json()
    assert me["telegram"]["can_message"] is True

    # a notification reaches them though they never pressed START
    user = await site.services.accounts.get_user(link.user_id)
    assert user is not None
    sent = await site.services.notifications.send(user, OutgoingMessage("Hello from the site"))
    await drain(site.services)
    status = await site.services.notifications.status(sent.id)
    assert status.message is not None
    assert status.message.state == "sent"
    dialog = await site.users.dialog(tg, "example_site_bot")
    assert [m["text"] for m in dialog["messages"]] == ["Hello from the site"]


async def test_without_bot_access_the_bot_cannot_write_first(site: Site) -> None:
    tg = await site.tg_user("Ben")
    await site.log_in(tg, write_allowed=False)
    link = await site.services.accounts.telegram_link(telegram_id=tg)
    assert link is not None
    assert link.chat_id is None
    user = await site.services.accounts.get_user(link.user_id)
    assert user is not None
    sent = await site.services.notifications.send(user, OutgoingMessage("Hello"))
    await drain(site.services)
    status = await site.services.notifications.status(sent.id)
    assert status.message is not None
    assert status.message.state in {"failed", "unreachable"}


async def test_the_same_account_as_a_widget_sign_in(site: Site) -> None:
    tg = await site.tg_user("Зоя 🚀", last_name="Lee", username="zoya")
    fields = await site.users.widget_login(tg, "example_site_bot")
    widget = await site.web.post("/api/auth/telegram/widget", json=fields)
    assert widget.status_code == 200, widget.text
    account = widget.json()["user"]["id"]
    site.web.cookies.clear()

    await site.log_in(tg)
    me = (await site.web.get("/api/me")).json()
    assert (me["user"]["id"], me["source"]) == (account, "oidc")
    # one name in the token: the first and last names known from the widget are kept
    link = await site.services.accounts.telegram_link(telegram_id=tg)
    assert link is not None
    profile = link.profile
    assert (profile.first_name, profile.last_name) == ("Зоя 🚀", "Lee")
    assert len(await site.services.accounts.audience()) == 1


async def test_a_new_key_verifies_after_a_rotation(site: Site) -> None:
    first, second = await site.tg_user("Ann"), await site.tg_user("Ben")
    await site.log_in(first)
    assert site.spy.jwks_fetches() == 1
    site.web.cookies.clear()
    await site.log_in(first)
    assert site.spy.jwks_fetches() == 1  # cached

    rotated = await site.users.rotate_oidc_keys("RS256", overlap_seconds=0)
    site.web.cookies.clear()
    await site.log_in(second)
    assert b64json(site.spy.id_tokens[-1].split(".")[0])["kid"] == rotated["rotated"][0]
    assert site.spy.jwks_fetches() == 2  # the unknown kid fetched the keys once more
    assert (await site.web.get("/api/me")).json()["telegram"]["id"] == second


async def test_next_is_a_path_of_this_site(site: Site) -> None:
    tg = await site.tg_user("Ann")
    for asked, landed in [
        ("/account?tab=chats", "/account?tab=chats"),
        ("//evil.example/x", "/account"),
        ("/\\evil.example", "/account"),
        ("https://evil.example/", "/account"),
    ]:
        site.web.cookies.clear()
        back = await site.web.get(await site.approve(tg, await site.begin(asked)))
        assert back.headers["location"] == landed


async def test_the_login_page_offers_oidc_in_place_of_the_widget(site: Site) -> None:
    page = (await site.web.get("/login")).text
    assert 'data-testid="oidc-login"' in page
    assert 'href="/auth/telegram/oidc"' in page
    assert 'data-testid="widget"' not in page
    assert 'data-testid="bot-login"' in page
    started = await site.web.get("/auth/telegram/oidc")
    cookie = started.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "path=/auth/telegram/oidc" in cookie
    assert "samesite=lax" in cookie
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [str(site.bot["id"])]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == ["openid profile phone telegram:bot_access"]
    assert query["nonce"] and query["state"]


async def test_the_login_page_may_offer_the_older_widget_below_telegram_login(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    async with Sandbox(World(clock)) as sandbox:
        async for site in _site(tmp_path, sandbox, clock, login_widget=True):
            page = (await site.web.get("/login")).text
            assert 'data-testid="oidc-login"' in page
            assert 'data-testid="widget"' in page
            assert page.index('data-testid="oidc-login"') < page.index('data-testid="widget"')
            assert "Older sign-in" in page


async def test_the_login_pages_button_carries_next(site: Site) -> None:
    """An application sent the visitor to sign in: Telegram Login brings them back to it."""
    back_to = "/oidc/authorize?client_id=forum&scope=openid+profile&state=s1"
    page = (await site.web.get("/login", params={"next": back_to})).text
    button = re.search(r'href="([^"]+)" data-testid="oidc-login"', page)
    assert button is not None
    href = unescape(button.group(1))
    assert parse_qs(urlsplit(href).query)["next"] == [back_to]
    started = await site.web.get(href)
    back = await site.web.get(await site.approve(await site.tg_user(), started.headers["location"]))
    assert back.status_code == 303
    assert back.headers["location"] == back_to
    hostile = (await site.web.get("/login", params={"next": "//evil.example"})).text
    assert 'href="/auth/telegram/oidc" data-testid="oidc-login"' in hostile


# -- every way it fails -----------------------------------------------------------------------


async def test_declined_in_telegram(site: Site) -> None:
    tg = await site.tg_user()
    declined = await site.users.decline_oidc_login(tg, authorize_url=await site.begin())
    assert "error=access_denied" in declined["url"]
    answer = await site.web.get(declined["url"])
    await site.refused(answer, 403, "access_denied", tg)


async def test_missing_unknown_or_foreign_state(site: Site) -> None:
    tg = await site.tg_user()
    back = await site.approve(tg, await site.begin())
    query = parse_qs(urlsplit(back).query)
    code, state = query["code"][0], query["state"][0]

    no_state = await site.web.get(f"{CALLBACK}?{urlencode({'code': code})}")
    await site.refused(no_state, 401, "bad_state", tg)
    unknown = await site.web.get(f"{CALLBACK}?{urlencode({'code': code, 'state': 'x' * 20})}")
    await site.refused(unknown, 401, "bad_state", tg)
    twice = f"{CALLBACK}?{urlencode([('code', code), ('state', state), ('state', state)])}"
    await site.refused(await site.web.get(twice), 401, "bad_state", tg)

    # another browser (without the cookie of the one that started it)
    transport = httpx.ASGITransport(app=create_app(site.services))
    async with httpx.AsyncClient(transport=transport, base_url=SITE) as other:
        await site.refused(await other.get(back), 401, "bad_state", tg)
    assert not any(p.endswith("/token") for p in site.spy.paths)  # no code was traded


async def test_a_response_naming_another_issuer_is_refused(site: Site) -> None:
    # RFC 9207: a response from another provider (a mix-up attack) trades no code
    tg = await site.tg_user()
    back = await site.approve(tg, await site.begin())
    forged = f"{back}&{urlencode({'iss': 'https://oauth.example.com'})}"
    await site.refused(await site.web.get(forged), 401, "issuer_mismatch", tg)
    assert not any(p.endswith("/token") for p in site.spy.paths)


async def test_a_response_naming_telegram_signs_in(site: Site) -> None:
    tg = await site.tg_user()
    back = await site.approve(tg, await site.begin())
    named = f"{back}&{urlencode({'iss': site.sandbox.oidc_issuer})}"
    assert (await site.web.get(named)).status_code == 303
    assert (await site.web.get("/api/me")).json()["telegram"]["id"] == tg


async def test_an_issuer_that_promises_to_name_itself_must(site: Site) -> None:
    tg = await site.tg_user()
    back = await site.approve(tg, await site.begin())
    login = site.services.telegram_login
    assert login is not None
    login.app.server_metadata["authorization_response_iss_parameter_supported"] = True
    await site.refused(await site.web.get(back), 401, "issuer_mismatch", tg)


async def test_a_state_is_used_once(site: Site) -> None:
    tg = await site.tg_user()
    back = await site.approve(tg, await site.begin())
    assert (await site.web.get(back)).status_code == 303
    site.web.cookies.delete("tgpass_session")
    again = await site.web.get(back)
    assert again.status_code == 401
    assert 'data-testid="oidc-login-error-code">bad_state<' in again.text
    assert "tgpass_session" not in again.headers.get("set-cookie", "")


async def test_a_code_used_again_or_expired_is_invalid_grant(site: Site) -> None:
    tg = await site.tg_user()
    code = parse_qs(urlsplit(await site.approve(tg, await site.begin())).query)["code"][0]

    async def bring_back() -> httpx.Response:
        """The code, under the state of a login started since (another PKCE verifier)."""
        fresh = parse_qs(urlsplit(await site.begin()).query)["state"][0]
        return await site.web.get(f"{CALLBACK}?{urlencode({'code': code, 'state': fresh})}")

    await site.refused(await bring_back(), 401, "invalid_grant", tg)  # and the code is spent
    await site.refused(await bring_back(), 401, "invalid_grant", tg)  # used

    late = await site.approve(tg, await site.begin())
    site.clock.advance(CODE_TTL + 1)
    await site.refused(await site.web.get(late), 401, "invalid_grant", tg)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda c: {**c, "aud": "424242"}, "wrong_audience"),
        (lambda c: {**c, "nonce": "not-the-one-sent"}, "nonce_mismatch"),
        (lambda c: {k: v for k, v in c.items() if k != "nonce"}, "nonce_mismatch"),
        (lambda c: {**c, "iss": "https://oauth.telegram.org"}, "wrong_issuer"),
        (lambda c: {**c, "iat": c["iat"] - 7200, "exp": c["exp"] - 7200}, "expired"),
        (lambda c: {**c, "iat": c["iat"] + 3600}, "invalid_token"),
    ],
    ids=["audience", "nonce", "no-nonce", "issuer", "expired", "issued-later"],
)
async def test_a_token_failing_a_claim_check(
    site: Site, change: Callable[[Json], Json], code: str
) -> None:
    tg = await site.tg_user()
    site.spy.rewrite = site.resign(change)
    answer = await site.web.get(await site.approve(tg, await site.begin()))
    await site.refused(answer, 401, code, tg)


async def test_a_bad_signature(site: Site) -> None:
    tg = await site.tg_user()
    other = site.resign(lambda c: {**c, "name": "Mallory"})

    def tamper(token: str) -> str:
        header, payload, _ = token.split(".")
        return f"{header}.{payload}.{other(token).split('.')[2]}"

    site.spy.rewrite = tamper
    answer = await site.web.get(await site.approve(tg, await site.begin()))
    await site.refused(answer, 401, "bad_signature", tg)


async def test_a_key_telegram_does_not_publish(site: Site) -> None:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    stranger = RSAKey.generate_key(2048, {"alg": "RS256"}, auto_kid=True)

    def forge(token: str) -> str:
        claims = b64json(token.split(".")[1])
        return jwt.encode({"alg": "RS256", "kid": stranger.kid}, claims, stranger)

    tg = await site.tg_user()
    site.spy.rewrite = forge
    answer = await site.web.get(await site.approve(tg, await site.begin()))
    await site.refused(answer, 401, "bad_signature", tg)
    assert site.spy.jwks_fetches() == 2  # looked once more for the key, then refused


async def test_an_unreachable_issuer_is_a_502_page(site: Site) -> None:
    tg = await site.tg_user()
    site.spy.unreachable = {"/token"}
    answer = await site.web.get(await site.approve(tg, await site.begin()))
    await site.refused(answer, 502, "issuer_unreachable", tg)

    site.spy.unreachable = {"/jwks.json"}
    answer = await site.web.get(await site.approve(tg, await site.begin()))
    await site.refused(answer, 502, "issuer_unreachable", tg)


async def test_an_issuer_down_from_the_start(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with Sandbox(World(clock)) as sandbox:
        dead = "http://127.0.0.1:9/oauth"  # discard: nothing listens
        async for site in _site(tmp_path, sandbox, clock, oidc_issuer=dead):
            answer = await site.web.get("/auth/telegram/oidc")
            await site.refused(answer, 502, "issuer_unreachable")
            assert "tgpass_oidc" not in answer.headers.get("set-cookie", "")


async def test_without_a_client_secret_there_is_no_oidc(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with Sandbox(World(clock)) as sandbox:
        async for site in _site(tmp_path, sandbox, clock, oidc_client_secret=""):
            assert site.services.telegram_login is None
            page = (await site.web.get("/login")).text
            assert 'data-testid="oidc-login"' not in page
            assert 'data-testid="widget"' in page
            await site.refused(
                await site.web.get("/auth/telegram/oidc"), 404, "oidc_not_configured"
            )
            await site.refused(
                await site.web.get(f"{CALLBACK}?code=x&state=y"), 404, "oidc_not_configured"
            )


async def test_a_token_without_the_telegram_id(site: Site) -> None:
    tg = await site.tg_user()
    site.spy.rewrite = site.resign(lambda c: {k: v for k, v in c.items() if k != "id"})
    answer = await site.web.get(await site.approve(tg, await site.begin()))
    await site.refused(answer, 401, "missing_field", tg)


async def test_discovery_naming_another_issuer_is_refused(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with Sandbox(World(clock)) as sandbox:
        elsewhere = sandbox.oidc_issuer.replace("127.0.0.1", "localhost")  # same server
        async for site in _site(tmp_path, sandbox, clock, oidc_issuer=elsewhere):
            answer = await site.web.get("/auth/telegram/oidc")
            await site.refused(answer, 502, "issuer_error")


async def test_two_tabs_log_in_side_by_side(site: Site) -> None:
    tg = await site.tg_user()
    first, second = await site.begin(), await site.begin("/account?tab=2")
    back_first = await site.approve(tg, first)
    back_second = await site.approve(tg, second)
    assert (await site.web.get(back_second)).headers["location"] == "/account?tab=2"
    assert (await site.web.get(back_first)).headers["location"] == "/account"
    assert len(await site.services.accounts.audience()) == 1
