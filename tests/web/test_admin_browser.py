"""The staff page in headless chromium: a broadcast composed, its progress watched to the end
(the worker of the running service sends it through the sandbox), a dead letter listed and
queued again; the account page lists a linked user's last messages. Only staff get in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.browser import browser_page, screenshot
from tests.harness.site import loopback, running_site, sandbox_bot, sandbox_settings
from tgpass.bootstrap import Services
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.sandbox.server import SandboxUsers


@dataclass
class Live:
    url: str
    users: SandboxUsers
    services: Services


@asynccontextmanager
async def live_site(tmp_path: Path, bot_name: str) -> AsyncIterator[Live]:
    """The service on a loopback port with its worker running, over a sandbox Telegram."""
    port, url = loopback()
    async with sandbox_bot(bot_name, flood_limits=True) as (sandbox, bot):
        assert sandbox.users is not None
        settings = sandbox_settings(
            sandbox, bot["token"], tmp_path, sqlite_name="live.sqlite3", public_url=url
        )
        async with running_site(settings, port=port, lifespan="on") as site:
            yield Live(site.url, sandbox.users, site.services)


async def test_staff_broadcast_with_live_progress_and_dead_letters(tmp_path: Path) -> None:
    async with live_site(tmp_path, "staff_bot") as live:
        site, users, services = live.url, live.users, live.services
        async with httpx.AsyncClient(base_url=site) as http:
            for name in ("boss", "member"):
                made = await http.post(
                    "/api/auth/register", json={"username": name, "password": "pass-word-1"}
                )
                assert made.status_code == 201
        boss = await services.accounts.find_user(username="boss")
        assert boss is not None
        await services.accounts.update_user(boss.id, role="staff")
        tgs = []
        async with services.uow() as tx:
            for n in range(12):
                tg = int((await users.create_user(f"R{n}"))["id"])
                await users.start(tg, "staff_bot")
                user = await tx.accounts.create_user(display_name=f"R{n}", karma=n * 10)
                profile = TelegramProfile(telegram_id=tg, first_name=f"R{n}")
                await tx.accounts.link_telegram(user.id, profile, chat_id=tg)
                tgs.append(tg)
            # one recipient whose chat Telegram does not know: a dead letter
            await tx.accounts.update_telegram(tgs[-1], chat_id=-(10**13))
        async with browser_page() as page:
            await page.goto(f"{site}/login")
            await page.fill("input[name=username]", "member")
            await page.fill("input[name=password]", "pass-word-1")
            await page.click("button[type=submit]")
            await page.goto(f"{site}/admin")
            assert await page.get_by_test_id("forbidden").is_visible()
            await page.context.clear_cookies()
            await page.goto(f"{site}/login")
            await page.fill("input[name=username]", "boss")
            await page.fill("input[name=password]", "pass-word-1")
            await page.click("button[type=submit]")
            await page.get_by_test_id("nav-admin").click()
            await page.fill("#text", "Meetup on Friday")
            await page.fill("#min-karma", "50")
            await page.get_by_test_id("send").click()
            status = page.get_by_test_id("status")
            await page.get_by_test_id("progress").wait_for()
            assert await page.input_value("#text") == ""  # sent: not there to send twice
            await status.filter(has_text="done").wait_for(timeout=30_000)
            assert await page.get_by_test_id("sent").text_content() == "6"
            await page.get_by_test_id("dead").filter(has_text="chat not found").wait_for()
            await screenshot(page, "admin-broadcast")
            await page.get_by_test_id("retry").click()
            await page.get_by_test_id("requeued").filter(has_text="1 message queued").wait_for()
            # Telegram still does not know the chat: tried again, it comes back
            await page.get_by_test_id("dead").filter(has_text="(2 tries)").wait_for()

            # a broadcast that reaches nobody says so in words
            await page.fill("#text", "Anyone up there?")
            await page.fill("#min-karma", "1000000")
            await page.get_by_test_id("send").click()
            await page.get_by_test_id("nobody").filter(has_text="nothing was sent").wait_for()
            assert await page.locator("#counts").is_hidden()
        for n, tg in enumerate(tgs[:-1]):
            got = [m for m in await users.received(tg, "staff_bot") if "Meetup" in m["text"]]
            assert len(got) == (1 if n >= 5 else 0)


async def test_the_account_page_lists_the_last_messages(tmp_path: Path) -> None:
    async with (
        live_site(tmp_path, "list_bot") as live,
        httpx.AsyncClient(base_url=live.url) as http,
    ):
        made = await http.post(
            "/api/auth/register", json={"username": "ann", "password": "pass-word-1"}
        )
        assert made.status_code == 201
        ann = await live.services.accounts.find_user(username="ann")
        assert ann is not None
        tg = int((await live.users.create_user("Ann"))["id"])
        await live.users.start(tg, "list_bot")
        profile = TelegramProfile(telegram_id=tg, first_name="Ann")
        await live.services.accounts.link_telegram(ann.id, profile, chat_id=tg)
        await live.services.notifications.send(ann, OutgoingMessage("Order shipped", None))
        page = await http.get("/account")
        assert page.status_code == 200
        assert 'data-testid="notifications"' in page.text
        assert "Order shipped" in page.text
