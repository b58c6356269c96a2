"""Telegram Login (OpenID Connect) in headless chromium, the site and the sandbox each served
by uvicorn: the login page's button, the phone's sheet, back signed in on the account page;
and a decline, back on the error page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import browser_page, screenshot
from tgpass.bootstrap import Services, build
from tgpass.sandbox.server import LoopbackServer, Sandbox, free_port
from tgpass.settings import Settings
from tgpass.web.app import create_app


@dataclass
class Live:
    site: str
    sandbox: Sandbox
    services: Services
    tg_user: int


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    async with Sandbox() as sandbox:
        users = sandbox.users
        assert users is not None
        await users.create_user("Ann")
        bot = await users.create_bot(
            "login_bot",
            first_name="Login",
            oidc_redirect_uris=[f"{site}/auth/telegram/oidc/callback"],
        )
        tg = await users.create_user("Зоя", last_name="Lee", username="zoya_oidc")
        services = await build(
            Settings.from_mapping(
                {
                    "database_url": f"sqlite+aiosqlite:///{tmp_path / 'oidc.sqlite3'}",
                    "bot_token": bot["token"],
                    "bot_api_url": sandbox.url,
                    "public_url": site,
                    "site_name": "Walk",
                    "worker": False,
                    "oidc_issuer": sandbox.oidc_issuer,
                    "oidc_client_secret": bot["oidc_client_secret"],
                }
            )
        )
        server = LoopbackServer(create_app(services), port=port, lifespan="on")
        await server.start()
        try:
            yield Live(site, sandbox, services, int(tg["id"]))
        finally:
            await server.stop()
            await services.close()


async def test_log_in_with_telegram_then_decline(live: Live) -> None:
    from playwright.async_api import expect

    async with browser_page() as page:
        await page.goto(f"{live.site}/login")
        await expect(page.get_by_test_id("widget")).to_have_count(0)
        await page.get_by_test_id("oidc-login").click()

        # Telegram's sheet, on the phone: log in as Зоя, sharing nothing more
        sheet = page.get_by_test_id("oidc-login")
        await sheet.wait_for(state="visible", timeout=10_000)
        assert page.url.startswith(live.sandbox.url)
        await page.get_by_test_id("user-select").select_option(str(live.tg_user))
        await expect(sheet).to_contain_text(f"Log in to {live.site}")
        await expect(sheet).to_contain_text("Allow @login_bot to message me")
        await screenshot(page, "oidc-1-telegram-asks")
        await page.get_by_test_id("oidc-approve").click()

        await page.get_by_test_id("display-name").wait_for(timeout=10_000)
        assert page.url == f"{live.site}/account"
        assert await page.get_by_test_id("display-name").inner_text() == "Зоя Lee"
        assert await page.get_by_test_id("source").inner_text() == "Log in with Telegram"
        await screenshot(page, "oidc-2-signed-in")
        link = await live.services.accounts.telegram_link(telegram_id=live.tg_user)
        assert link is not None
        assert link.chat_id == live.tg_user  # the bot may write first

        # signed out, then declined on the phone: the site's error page, not signed in
        await page.get_by_test_id("logout").click()
        await page.get_by_test_id("oidc-login").click()
        await sheet.wait_for(state="visible", timeout=10_000)
        await page.get_by_test_id("oidc-decline").click()
        error = page.get_by_test_id("oidc-login-error-code")
        await error.wait_for(timeout=10_000)
        assert await error.inner_text() == "access_denied"
        assert page.url.startswith(f"{live.site}/auth/telegram/oidc/callback?")
        await screenshot(page, "oidc-3-declined")
        await page.get_by_test_id("back-to-login").click()
        await page.get_by_test_id("password-login").wait_for()
        await page.goto(f"{live.site}/account")
        assert page.url == f"{live.site}/login"
