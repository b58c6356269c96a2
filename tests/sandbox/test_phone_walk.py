"""A newcomer's walk on the phone, in chromium at a desktop's 1280 px and a phone's 390 px:
a long chat opens at its newest message and follows new ones (unless the reader scrolled up);
a Mini App opens in a sheet whose bar (Close, the bot's name) never covers the app; "Ask to
join" answers at once, waits disabled, and, pressed again once in, says so and shows the chat.
Screenshots: test-artifacts/phone-walk-<width>-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tests.browser import browser_page, screenshot
from tgpass.sandbox.server import LoopbackServer, Sandbox, SandboxUsers

ADMIN = {"can_invite_users": True, "can_restrict_members": True}
HISTORY = 40  # messages: several screens of them
WIDTHS = {1280: 800, 390: 844}  # viewport width: height (a desktop, an iPhone 12-15)
MINI_APP = """<!doctype html><meta charset="utf-8"><title>Shop</title>
<script src="{sandbox}/js/telegram-web-app.js"></script>
<body style="margin:0;font:16px system-ui"><h1 id="top" style="margin:0;padding:.5rem">Shop</h1>
<p id="who">…</p><script>Telegram.WebApp.ready();
document.getElementById("who").textContent = Telegram.WebApp.initDataUnsafe.user.first_name;
</script></body>"""


@dataclass
class Walk:
    sandbox: Sandbox
    users: SandboxUsers
    bot: Bot
    chat_id: int


def mini_app_site(sandbox: Sandbox) -> Starlette:
    async def app(request: Request) -> HTMLResponse:
        return HTMLResponse(MINI_APP.format(sandbox=sandbox.url))

    return Starlette(routes=[Route("/app", app)])


@pytest.fixture
async def walk(sandbox: Sandbox) -> AsyncIterator[Walk]:
    users = sandbox.users
    assert users is not None
    await users.set_limits(enabled=False)  # the history is sent at once
    async with LoopbackServer(mini_app_site(sandbox)) as site:
        bot_info = await users.create_bot(
            "shop_bot", first_name="Shop", web_app_url=f"{site.url}/app"
        )
        owner = await users.create_user("Owner")
        chat = await users.create_chat("Book club", owner["id"])
        await users.add_bot_to_chat(chat["id"], bot_info["id"], admin_rights=ADMIN)
        async with Bot(bot_info["token"], base_url=sandbox.bot_api_base) as bot:
            for number in range(1, HISTORY + 1):
                await bot.send_message(chat["id"], f"Club news #{number}")
            yield Walk(sandbox, users, bot, chat["id"])


async def newcomer(walk: Walk, name: str) -> tuple[int, str]:
    """A user with a long history with the bot, ending in an "Ask to join" invite."""
    user = await walk.users.create_user(name)
    await walk.users.start(user["id"], "shop_bot")
    for number in range(1, HISTORY + 1):
        await walk.bot.send_message(user["id"], f"Shop news #{number}")
    link = await walk.bot.create_chat_invite_link(walk.chat_id, creates_join_request=True)
    button = InlineKeyboardButton("Ask to join", url=link.invite_link)
    await walk.bot.send_message(
        user["id"], "Book club is open to you", reply_markup=InlineKeyboardMarkup([[button]])
    )
    return user["id"], link.invite_link


def message(page: Any, text: str) -> Any:
    return page.locator(".msg").filter(has_text=text)


async def box(page: Any, test_id: str) -> dict[str, float]:
    found = await page.get_by_test_id(test_id).bounding_box()
    assert found is not None, f"{test_id} is not shown"
    return dict(found)


async def shows_newest(page: Any) -> bool:
    """The chat is scrolled to its end, and the page itself does not scroll past the screen."""
    return bool(
        await page.evaluate(
            """() => { const m = document.getElementById("messages");
            return m.scrollHeight - m.scrollTop - m.clientHeight <= 2
              && document.documentElement.scrollHeight <= innerHeight; }"""
        )
    )


async def test_the_phone_at_a_desktops_and_a_phones_width(walk: Walk) -> None:
    async with browser_page() as page:
        for width, height in WIDTHS.items():
            await page.set_viewport_size({"width": width, "height": height})
            await walk_at(page, walk, width, height)


async def walk_at(page: Any, walk: Walk, width: int, height: int) -> None:
    user_id, link = await newcomer(walk, f"Reader {width}")
    await page.goto(f"{walk.sandbox.url}/?user={user_id}")
    await open_long_chat(page, walk, user_id, width)
    await mini_app_sheet(page, width, height)
    await ask_to_join_twice(page, walk, user_id, link, width)


async def open_long_chat(page: Any, walk: Walk, user_id: int, width: int) -> None:
    await page.get_by_test_id("chat-shop_bot").click()
    await message(page, "Book club is open to you").wait_for()
    assert await shows_newest(page)
    await screenshot(page, f"phone-walk-{width}-chat")
    await walk.bot.send_message(user_id, "Broadcast: the club meets tonight")
    await message(page, "Broadcast: the club meets tonight").wait_for()
    assert await shows_newest(page)
    await page.get_by_test_id("messages").evaluate("m => { m.scrollTop = 0; }")
    await walk.bot.send_message(user_id, "Read this later")
    await page.get_by_test_id("newer").wait_for()  # the reader is left where they were
    assert await page.get_by_test_id("messages").evaluate("m => m.scrollTop") == 0
    await page.get_by_test_id("newer").click()
    assert await shows_newest(page)


async def mini_app_sheet(page: Any, width: int, height: int) -> None:
    await page.get_by_test_id("open-app").click()
    frame = page.frame_locator("#webapp-frame")
    await frame.locator("#who").filter(has_text=f"Reader {width}").wait_for()
    await screenshot(page, f"phone-walk-{width}-mini-app")
    assert await page.locator("#webapp-title").inner_text() == "Shop"
    bar, close = await box(page, "webapp-bar"), await box(page, "webapp-close")
    app, title = await box(page, "webapp-frame"), await page.locator("#webapp-title").bounding_box()
    assert bar["y"] >= 0 and app["y"] + app["height"] <= height + 0.5
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= width + 0.5
    assert bar["y"] <= close["y"] and close["y"] + close["height"] <= bar["y"] + bar["height"]
    assert close["x"] + close["width"] <= title["x"]  # side by side, not on top of each other
    assert bar["y"] + bar["height"] <= app["y"] + 0.5  # the app starts below the bar
    assert app["height"] > height / 2
    if width < 640:  # a phone: the app takes the whole screen, as Telegram's does
        assert (bar["x"], bar["y"], bar["width"]) == (0, 0, width)
    await page.get_by_test_id("webapp-close").click()
    await page.get_by_test_id("webapp").wait_for(state="hidden")


async def ask_to_join_twice(page: Any, walk: Walk, user_id: int, link: str, width: int) -> None:
    ask = page.get_by_role("button", name="Ask to join")
    await ask.click()
    toast = page.get_by_test_id("toast")
    await toast.filter(has_text="Request sent — an admin or the bot will answer").wait_for()
    await page.wait_for_function(
        """() => [...document.querySelectorAll(".inline button")]
        .some(b => b.textContent === "Ask to join" && b.disabled)"""
    )
    await screenshot(page, f"phone-walk-{width}-asked")
    # the link opened again (from elsewhere) while the request waits
    await page.goto(f"{walk.sandbox.url}/?user={user_id}&open={quote(link, safe='')}")
    await toast.filter(has_text="Your request to join Book club is waiting").wait_for()
    assert await walk.bot.approve_chat_join_request(walk.chat_id, user_id)
    await page.goto(f"{walk.sandbox.url}/?user={user_id}")
    await page.get_by_test_id("chat-shop_bot").click()
    await page.wait_for_function(
        """() => [...document.querySelectorAll(".inline button")]
        .some(b => b.textContent === "Ask to join" && !b.disabled)"""
    )
    await ask.click()  # once in, the button shows the chat
    await toast.filter(has_text="You're already a member of Book club.").wait_for()
    await page.locator("#title-text").filter(has_text="Book club").wait_for()
    await message(page, f"Reader {width} joined").wait_for()
    assert await shows_newest(page)
    await screenshot(page, f"phone-walk-{width}-club")
