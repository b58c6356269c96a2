"""Sign in to another app with tgpass, in headless chromium: a small relying party (Starlette
and Authlib's client, as a site's other application would be written) and tgpass, each served
by uvicorn. The app sends the browser to tgpass; tgpass asks the visitor to sign in (by
password), brings them back to the authorization request, asks their consent, and the app
shows who signed in, from the ID token and userinfo. A second sign-in goes straight through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import escape
from typing import Any

import pytest
from authlib.integrations.starlette_client import OAuth
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.browser import browser_page, screenshot
from tgpass.sandbox.server import LoopbackServer, free_port

from .conftest import Site

SCOPES = "openid profile site"


def relying_party(issuer: str, client_id: str, secret: str, url: str) -> Starlette:
    """Another application of the site: it knows tgpass only by its issuer URL."""
    oauth = OAuth()
    oauth.register(
        "tgpass",
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPES, "code_challenge_method": "S256"},
    )

    async def home(request: Request) -> Response:
        user: dict[str, Any] | None = request.session.get("user")
        if user is None:
            return HTMLResponse(
                '<h1>Forum</h1><a href="/login" data-testid="rp-sign-in">Sign in with Example</a>'
            )
        rows = "".join(
            f'<dt>{escape(k)}</dt><dd data-testid="claim-{escape(k)}">{escape(str(v))}</dd>'
            for k, v in user.items()
        )
        return HTMLResponse(
            f"<h1>Forum</h1><dl>{rows}</dl>"
            '<a href="/logout" data-testid="rp-sign-out">Sign out of the forum</a>'
        )

    async def login(request: Request) -> Response:
        response: Response = await oauth.tgpass.authorize_redirect(request, f"{url}/callback")
        return response

    async def callback(request: Request) -> Response:
        token = await oauth.tgpass.authorize_access_token(request)  # the ID token checked
        info = await oauth.tgpass.userinfo(token=token)
        request.session["user"] = {
            "sub": token["userinfo"]["sub"],
            "userinfo_sub": info["sub"],
            "name": info["name"],
            "preferred_username": info["preferred_username"],
            "roles": ",".join(info["roles"]),
            "karma": info["karma"],
        }
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/", status_code=303)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route("/callback", callback),
            Route("/logout", logout),
        ],
        middleware=[
            Middleware(SessionMiddleware, secret_key="forum-secret", session_cookie="forum")
        ],
    )


@dataclass
class Apps:
    tgpass: Site
    forum: str


@pytest.fixture
async def apps(served: Site) -> AsyncIterator[Apps]:
    port = free_port()
    forum = f"http://127.0.0.1:{port}"
    client_id, secret = await served.add_client(name="Forum", redirect_uris=[f"{forum}/callback"])
    assert secret is not None
    server = LoopbackServer(relying_party(served.issuer, client_id, secret, forum), port=port)
    await server.start()
    try:
        yield Apps(served, forum)
    finally:
        await server.stop()


async def test_sign_in_to_another_app_with_tgpass(apps: Apps) -> None:
    from playwright.async_api import expect

    async with apps.tgpass.browser() as someone:
        await someone.register("ann", "correct horse")  # display name "Ann Lee"
    async with browser_page() as page:
        await page.goto(f"{apps.forum}/")
        await page.get_by_test_id("rp-sign-in").click()

        # tgpass: not signed in here, so its login page, which will bring the visitor back
        await page.get_by_test_id("password-login").wait_for(timeout=10_000)
        assert page.url.startswith(f"{apps.tgpass.issuer}/login?next=")
        back = await page.locator('input[name="next"]').get_attribute("value")
        assert back is not None
        assert back.startswith("/oidc/authorize?")
        await page.fill("#username", "ann")
        await page.fill("#password", "correct horse")
        await screenshot(page, "oidc-provider-1-sign-in")
        await page.get_by_test_id("password-login").click()

        # back at the authorization request: the consent page
        allow = page.get_by_test_id("consent-allow")
        await allow.wait_for(timeout=10_000)
        assert page.url.startswith(f"{apps.tgpass.issuer}/oidc/authorize?")
        await expect(page.get_by_test_id("client-name")).to_have_text("Forum")
        scopes = page.get_by_test_id("consent-scopes").locator("li")
        assert await scopes.evaluate_all("els => els.map(e => e.dataset.scope)") == SCOPES.split()
        await screenshot(page, "oidc-provider-2-consent")
        await allow.click()

        # at the forum, signed in, with what tgpass shares
        await page.get_by_test_id("claim-sub").wait_for(timeout=10_000)
        assert page.url == f"{apps.forum}/"
        sub = await page.get_by_test_id("claim-sub").inner_text()
        assert sub
        assert await page.get_by_test_id("claim-userinfo_sub").inner_text() == sub
        assert await page.get_by_test_id("claim-name").inner_text() == "Ann Lee"
        assert await page.get_by_test_id("claim-preferred_username").inner_text() == "ann"
        assert await page.get_by_test_id("claim-roles").inner_text() == "member"
        assert await page.get_by_test_id("claim-karma").inner_text() == "0"
        await screenshot(page, "oidc-provider-3-signed-in-at-the-app")

        # signed out of the forum only: signing in again asks nothing (session and consent)
        await page.get_by_test_id("rp-sign-out").click()
        await page.get_by_test_id("rp-sign-in").click()
        await page.get_by_test_id("claim-sub").wait_for(timeout=10_000)
        assert await page.get_by_test_id("claim-sub").inner_text() == sub
