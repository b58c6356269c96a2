"""A person's walk through the site and the sandbox phone, in headless chromium: register,
link Telegram through the phone, sign out, sign in with the widget, open the Mini App from the
bot. Each step is asserted on the page; screenshots go to test-artifacts/."""

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
        "walk_bot", flood_limits=True, first_name="Walk", web_app_url=f"{site}/miniapp"
    ) as (sandbox, bot):
        assert sandbox.users is not None
        tg = await sandbox.users.create_user("Зоя", last_name="Walker", username="zoya_walk")
        settings = sandbox_settings(
            sandbox,
            bot["token"],
            tmp_path,
            sqlite_name="walk.sqlite3",
            public_url=site,
            widget_script_url=f"{sandbox.url}/js/telegram-widget.js",
            web_app_script_url=f"{sandbox.url}/js/telegram-web-app.js",
            site_name="Walk",
        )
        async with running_site(settings, port=port, lifespan="on", polling=True) as running:
            yield Live(site, sandbox, running.services, int(tg["id"]))


async def test_register_link_sign_out_widget_mini_app(live: Live) -> None:
    async with browser_page() as site, browser_page() as phone:
        # 1. register
        await site.goto(f"{live.site}/register")
        await site.fill("#username", "walker")
        await site.fill("#display_name", "Walker Site")
        await site.fill("#password", "correct horse battery")
        await site.get_by_test_id("register").click()
        await site.get_by_test_id("display-name").filter(has_text="Walker Site").wait_for()
        await screenshot(site, "walk-1-registered")

        # 2. ask for a link, 3. open it on the phone and press START
        await site.get_by_test_id("link").click()
        link = site.get_by_test_id("link-url")
        await link.wait_for()
        url = await link.get_attribute("href")
        assert url is not None
        assert url.startswith("https://t.me/walk_bot?start=")
        await screenshot(site, "walk-2-link-offered")
        await phone.goto(f"{live.sandbox.url}/?user={live.tg_user}")
        await phone.get_by_test_id("open-link").fill(url)
        await phone.get_by_test_id("open-go").click()
        await phone.get_by_test_id("start").click()
        await phone.get_by_test_id("msg-bot").filter(has_text="Linked!").wait_for(timeout=15_000)
        await screenshot(phone, "walk-3-phone-linked")

        # 4. the site sees it
        await site.get_by_test_id("linked").wait_for(timeout=15_000)
        assert "Зоя Walker" in await site.get_by_test_id("linked").inner_text()
        await screenshot(site, "walk-4-site-linked")

        # 5. sign out
        await site.get_by_test_id("logout").click()
        await site.get_by_test_id("password-login").wait_for()

        # 6. sign in with the Login Widget, as the linked Telegram user
        await site.get_by_test_id("tg-login").click()
        await site.get_by_test_id(f"tg-widget-account-{live.tg_user}").click()
        await (
            site.get_by_test_id("display-name")
            .filter(has_text="Walker Site")
            .wait_for(timeout=15_000)
        )
        source = site.get_by_test_id("source")
        assert await source.inner_text() == "the Telegram Login Widget"
        assert await source.get_attribute("data-source") == "widget"
        await screenshot(site, "walk-5-widget-signed-in")

        # 7. open the Mini App from the bot, on the phone
        await phone.get_by_test_id("chat-walk_bot").click()
        await phone.get_by_test_id("open-app").click()
        who = phone.frame_locator("#webapp-frame").get_by_test_id("miniapp-who")
        await who.filter(has_text="Signed in as Walker Site").wait_for(timeout=15_000)
        await screenshot(phone, "walk-6-mini-app")
