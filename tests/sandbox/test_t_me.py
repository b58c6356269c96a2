"""``<sandbox>/t.me/...`` stands in for https://t.me: links open the phone with the link
followed, and the phone fits a phone's screen."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs, urlsplit

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from tests.browser import browser_page, screenshot

from .conftest import Scene
from .test_phone_browser import greeter

PHONE = {"width": 390, "height": 844}

# What scrolls sideways: the page, an element past the screen's edge, or a scroll box.
_SIDEWAYS = """() => {
  const width = window.innerWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push("page");
  for (const e of document.querySelectorAll("body *")) {
    const box = e.getBoundingClientRect();
    const name = e.tagName + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "");
    if (box.width && (box.right > width + 1 || box.left < -1)) found.push(name + " past the edge");
    const x = getComputedStyle(e).overflowX;
    if ((x === "auto" || x === "scroll") && e.scrollWidth > e.clientWidth + 1)
      found.push(name + " scrolls");
  }
  return found;
}"""


async def test_t_me_paths_redirect_to_the_phone_with_the_link(scene: Scene) -> None:
    async with httpx.AsyncClient(base_url=scene.sandbox.url) as http:
        answer = await http.get("/t.me/shop_bot", params={"start": "abc_123"})
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert urlsplit(location).path == "/"
        assert parse_qs(urlsplit(location).query)["open"] == ["https://t.me/shop_bot?start=abc_123"]
        app = await http.get("/t.me/shop_bot/app", params={"startapp": "p1"})
        opened = parse_qs(urlsplit(app.headers["location"]).query)["open"]
        assert opened == ["https://t.me/shop_bot/app?startapp=p1"]
        invite = await http.get("/t.me/+AbC-12_x")
        assert parse_qs(urlsplit(invite.headers["location"]).query)["open"] == [
            "https://t.me/+AbC-12_x"
        ]


async def test_sandbox_t_me_links_are_followed_like_t_me(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    link = f"{scene.sandbox.url}/t.me/shop_bot?start=code_42"
    opened = await users.open_link(scene.user_id, link)
    assert opened == {"kind": "chat", "bot": "shop_bot", "start": "code_42"}
    assert (await users.start(scene.user_id, "shop_bot"))["message"]["text"] == "/start code_42"
    app = await users.open_link(scene.user_id, f"{scene.sandbox.url}/t.me/shop_bot?startapp=s")
    assert app["kind"] == "web_app"
    elsewhere = await users.open_link(scene.user_id, f"{scene.sandbox.url}/docs")
    assert elsewhere["kind"] == "url"


async def test_a_deep_link_on_a_phone_sized_screen(scene: Scene) -> None:
    await scene.api.put("/limits", json={"enabled": False})  # the bot writes several at once
    bot_task = asyncio.create_task(greeter(scene.bot))
    try:
        async with browser_page() as page:
            await page.set_viewport_size(PHONE)
            await page.goto(f"{scene.sandbox.url}/?user={scene.user_id}")  # remembered
            assert await page.evaluate(_SIDEWAYS) == []
            await page.goto(f"{scene.sandbox.url}/t.me/shop_bot?start=abc_123")
            start = page.get_by_test_id("start")
            await start.wait_for(state="visible")
            assert await page.evaluate(_SIDEWAYS) == []
            await start.click()
            reply = page.get_by_test_id("msg-bot").filter(has_text="Your code: abc_123")
            await reply.wait_for(timeout=10_000)
            assert "Hello, Зоя 🚀!" in await reply.inner_text()
            await _long_content(scene)
            await page.get_by_text("Choose a plan").wait_for(timeout=10_000)
            await page.get_by_role("button", name="Second option").first.wait_for()
            await screenshot(page, "phone-390-chat")
            assert await page.evaluate(_SIDEWAYS) == []
            await page.get_by_test_id("back").click()
            await page.get_by_test_id("chat-shop_bot").wait_for(state="visible")
            assert await page.get_by_test_id("start").is_hidden()
            assert await page.evaluate(_SIDEWAYS) == []
            await screenshot(page, "phone-390-chats")
    finally:
        bot_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot_task


async def _long_content(scene: Scene) -> None:
    """What stretches a narrow screen: an unbroken URL, wide keyboards."""
    long_link = "https://example.org/" + "a" * 300
    await scene.bot.send_message(scene.user_id, f"Read {long_link}")
    wide = [
        InlineKeyboardButton(f"Plan {n} with a long label", callback_data=f"plan{n}")
        for n in range(4)
    ]
    keys = [[KeyboardButton("First option"), KeyboardButton("Second option")] * 2]
    await scene.bot.send_message(
        scene.user_id, "Choose a plan", reply_markup=InlineKeyboardMarkup([wide])
    )
    await scene.bot.send_message(
        scene.user_id, "Or answer below", reply_markup=ReplyKeyboardMarkup(keys)
    )
