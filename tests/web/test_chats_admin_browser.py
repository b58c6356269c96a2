"""The staff's gated-chats page in headless chromium, over a running service whose worker
polls the sandbox Telegram: a rule set, a user's karma raised (the invite arrives on their
phone, they ask to join there and are let in), lowered (removed), every step on the page.
Only staff get in; refusals show on the page and change nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.browser import browser_page, screenshot
from tests.harness.gated import ADMIN
from tests.harness.site import loopback, running_site, sandbox_bot, sandbox_settings
from tgpass.bootstrap import Services
from tgpass.domain.gating import ChatRule
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.verify import bot_id_from_token

BOT = "gate_keeper_bot"
PASSWORD = "pass-word-1"


@dataclass
class Live:
    url: str
    phone: str
    sandbox: Sandbox
    services: Services
    bot_id: int

    @property
    def users(self) -> SandboxUsers:
        assert self.sandbox.users is not None
        return self.sandbox.users


@asynccontextmanager
async def gated_site(tmp_path: Path) -> AsyncIterator[Live]:
    """The service on a loopback port, its worker reading updates by long polling, sending
    and reconciling, over a sandbox Telegram."""
    port, url = loopback()
    async with sandbox_bot(BOT, flood_limits=True) as (sandbox, bot):
        settings = sandbox_settings(
            sandbox, bot["token"], tmp_path, sqlite_name="gated.sqlite3", public_url=url
        )
        async with running_site(settings, port=port, lifespan="on", polling=True) as site:
            bot_id = bot_id_from_token(bot["token"])
            yield Live(site.url, sandbox.url, sandbox, site.services, bot_id)


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.1)


async def test_staff_gate_a_chat_and_follow_a_user_in_and_out(tmp_path: Path) -> None:
    async with gated_site(tmp_path) as live:
        users, services = live.users, live.services
        owner = int((await users.create_user("Olga"))["id"])
        chat_id = int((await users.create_chat("Karma 100+", owner))["id"])
        await users.add_bot_to_chat(chat_id, live.bot_id, ADMIN)

        async def known() -> bool:
            return any(v.chat.chat_id == chat_id for v in await services.gating.chats())

        await eventually(known, "the chat registered by my_chat_member")
        async with httpx.AsyncClient(base_url=live.url) as http:
            for name in ("boss", "member"):
                body = {"username": name, "password": PASSWORD}
                assert (await http.post("/api/auth/register", json=body)).status_code == 201
        boss = await services.accounts.find_user(username="boss")
        assert boss is not None
        await services.accounts.update_user(boss.id, role="staff")
        await services.site.upsert("ann-7", display_name="Ann", karma=10)
        ann = int((await users.create_user("Ann"))["id"])
        offer = await services.site.offer_link("ann-7")
        await users.start(ann, BOT, offer.url.rsplit("start=", 1)[1])

        async def linked() -> bool:
            return (await services.site.get("ann-7")).link is not None

        await eventually(linked, "ann linked through the bot")

        async with browser_page() as page:
            await sign_in(page, live.url, "boss")
            await page.get_by_test_id("nav-admin").click()
            await page.get_by_test_id("admin-chats").click()
            row = page.get_by_test_id(f"chat-{chat_id}")
            await row.get_by_test_id("chat-status").filter(has_text="not gated").wait_for()
            await row.get_by_test_id("manage").click()
            assert await page.get_by_test_id("chat-title").text_content() == "Karma 100+"
            assert await page.get_by_test_id("rule-managed").is_checked()

            # a bad role is refused on the page and nothing changes
            await page.fill("#rule-roles", "Web Masters")
            await page.get_by_test_id("save-rule").click()
            await page.get_by_test_id("notice").filter(has_text="a role is").wait_for()
            assert (await services.gating.chat(chat_id)).rule is None

            await page.fill("#rule-roles", "")
            await page.fill("#rule-min-karma", "100")
            await page.get_by_test_id("save-rule").click()
            await row.get_by_test_id("chat-status").filter(has_text="gated").wait_for()
            await row.get_by_test_id("chat-rule").filter(has_text="karma ≥ 100").wait_for()
            assert await page.get_by_test_id("notice").is_hidden()
            assert (await services.gating.chat(chat_id)).rule == ChatRule(min_karma=100)
            audit = page.get_by_test_id("chat-audit")
            await audit.locator("[data-action=rule]").filter(has_text="karma ≥ 100").wait_for()
            bot = audit.locator("[data-action=bot]")  # said for people, not as codes
            said = "The bot was made an administrator; the bot can gate this chat."
            assert said in await bot.first.inner_text()

            # an unknown user is said so
            await page.select_option("#lookup-by", "site_user_id")
            await page.fill("#lookup-q", "nobody")
            await page.get_by_test_id("lookup").click()
            await page.get_by_test_id("notice").filter(has_text="no user").wait_for()

            await page.fill("#lookup-q", "ann-7")
            await page.get_by_test_id("lookup").click()
            standing = page.get_by_test_id(f"user-chat-{chat_id}")
            await standing.get_by_test_id("reasons").filter(has_text="karma 10 < 100").wait_for()
            assert await page.get_by_test_id("user-telegram").text_content() == f"Ann ({ann})"
            assert await standing.get_by_test_id("invited").text_content() == "no"

            # karma up: the worker invites; the invite arrives on Ann's phone
            await page.fill("#standing-karma", "150")
            await page.get_by_test_id("save-standing").click()
            await page.get_by_test_id("user-karma").filter(has_text="150").wait_for()
            await standing.get_by_test_id("eligible").filter(has_text="eligible").wait_for()
            await standing.get_by_test_id("invited").filter(has_text="invited").wait_for()
            await row.get_by_test_id("chat-invites").filter(has_text="1").wait_for()
            said = [m["text"] for m in await users.received(ann, BOT)]
            assert any("You may now join Karma 100+" in text for text in said), said
            await screenshot(page, "admin-chats-invited")

            phone = await page.context.browser.new_page()
            await phone.goto(f"{live.phone}/?user={ann}")
            await phone.get_by_test_id(f"chat-{BOT}").click()
            invite = phone.get_by_test_id("msg-bot").filter(has_text="You may now join")
            await invite.get_by_role("button", name="Ask to join").click()
            await phone.get_by_test_id(f"chat-{chat_id}").wait_for(timeout=15_000)
            await screenshot(phone, "phone-joined-gated-chat")

            await standing.get_by_test_id("member").filter(has_text="In the chat").wait_for()
            await row.get_by_test_id("chat-members").filter(has_text="1").wait_for()
            await audit.locator("[data-action=approve]").wait_for()

            # karma down: removed, and told why
            await page.fill("#standing-karma", "20")
            await page.get_by_test_id("save-standing").click()
            removed = standing.get_by_test_id("removed").filter(has_text="karma 20 < 100")
            await removed.wait_for(timeout=15_000)
            await standing.get_by_test_id("member").filter(has_text="Removed by the bot").wait_for()
            await page.get_by_test_id("user-audit").locator("[data-action=remove]").wait_for()
            await screenshot(page, "admin-chats-removed")

        left = live.sandbox.world.chat(chat_id).members.get(ann)
        assert left is None or left.status == "left"  # out, and not banned
        said = [m["text"] for m in await users.received(ann, BOT)]
        assert any("You were removed from Karma 100+" in text for text in said), said
        found = await services.site.get("ann-7")
        assert (found.user.karma, found.user.role) == (20, "member")


async def sign_in(page: Any, site: str, name: str) -> None:
    await page.goto(f"{site}/login")
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{site}/account")


async def test_only_staff_see_or_change_gated_chats(tmp_path: Path) -> None:
    async with gated_site(tmp_path) as live:
        users, services = live.users, live.services
        owner = int((await users.create_user("Olga"))["id"])
        chat_id = int((await users.create_chat("Web-masters", owner))["id"])
        await users.add_bot_to_chat(chat_id, live.bot_id, ADMIN)
        async with httpx.AsyncClient(base_url=live.url) as http:
            made = await http.post(
                "/api/auth/register", json={"username": "joe", "password": PASSWORD}
            )
            csrf = {"X-CSRF-Token": made.json()["csrf_token"]}
            page = await http.get("/admin/chats")
            assert page.status_code == 403
            assert 'data-testid="forbidden"' in page.text
            joe = made.json()["user"]["id"]
            for method, path, body in [
                ("GET", "/api/admin/chats", None),
                ("PUT", f"/api/admin/chats/{chat_id}/rule", {"min_karma": 0}),
                ("DELETE", f"/api/admin/chats/{chat_id}/rule", None),
                ("GET", f"/api/admin/chats/{chat_id}/audit", None),
                ("GET", "/api/admin/users?username=joe", None),
                ("PUT", f"/api/admin/users/{joe}/standing", {"role": "staff", "karma": 9}),
            ]:
                answer = await http.request(method, path, json=body, headers=csrf)
                assert answer.status_code == 403, (path, answer.text)
                assert answer.json()["error"]["code"] == "not_staff"
            user = await services.accounts.get_user(joe)
            assert user is not None and (user.role, user.karma) == ("member", 0)
            await services.accounts.update_user(joe, role="staff")
            # staff writes still need the CSRF token
            answer = await http.put(
                f"/api/admin/users/{joe}/standing", json={"role": "member", "karma": 1}
            )
            assert answer.status_code == 403
            assert answer.json()["error"]["code"] == "csrf_failed"
            for path, params in [
                ("/api/admin/users", {}),
                ("/api/admin/users", {"username": "joe", "site_user_id": "x"}),
                ("/api/admin/users/0", {}),
            ]:
                answer = await http.get(path, params=params)
                assert answer.status_code == 422, (path, params, answer.text)
            answer = await http.put(
                f"/api/admin/users/{joe}/standing",
                json={"role": "Not A Role", "karma": 1},
                headers=csrf,
            )
            assert answer.status_code == 422
            assert answer.json()["error"]["field"] == "role"
            answer = await http.put(
                "/api/admin/users/999999/standing",
                json={"role": "member", "karma": 1},
                headers=csrf,
            )
            assert answer.status_code == 404
            user = await services.accounts.get_user(joe)
            assert user is not None and (user.role, user.karma) == ("staff", 0)
            found = await http.get("/api/admin/users", params={"username": "joe"})
            assert found.status_code == 200
            assert found.json()["user"]["username"] == "joe"
            assert found.json()["telegram"] is None
            assert (await http.get("/admin/chats")).status_code == 200
