"""Telegram Login (OpenID Connect) in headless chromium, the site and the sandbox each served
by uvicorn: the login page's button, the phone's sheet, back signed in on the account page;
and a decline, back on the error page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import browser_page, screenshot
from tests.harness.site import loopback, running_site, sandbox_bot, sandbox_settings
from tgpass.bootstrap import Services
from tgpass.sandbox.server import Sandbox


@dataclass
class Live:
    site: str
    sandbox: Sandbox
    services: Services
    tg_user: int


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    port, site = loopback()
    async with sandbox_bot(
        "login_bot",
        flood_limits=True,
        first_name="Login",
        oidc_redirect_uris=[f"{site}/auth/telegram/oidc/callback"],
    ) as (sandbox, bot):
        assert sandbox.users is not None
        await sandbox.users.create_user("Ann")
        tg = await sandbox.users.create_user("Зоя", last_name="Lee", username="zoya_oidc")
        settings = sandbox_settings(
            sandbox,
            bot["token"],
            tmp_path,
            sqlite_name="oidc.sqlite3",
            public_url=site,
            site_name="Walk",
            worker=False,
            oidc_issuer=sandbox.oidc_issuer,
            oidc_client_secret=bot["oidc_client_secret"],
        )
        async with running_site(settings, port=port, lifespan="on") as running:
            yield Live(site, sandbox, running.services, int(tg["id"]))


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
