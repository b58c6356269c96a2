"""The phone page in headless chromium: a simulated user opens a deep link, presses Start and
sees the reply of a small bot that polls the sandbox with python-telegram-bot."""

from __future__ import annotations

import asyncio
import contextlib

from telegram import Bot

from tests.browser import browser_page, screenshot

from .conftest import Scene


async def greeter(bot: Bot) -> None:
    """A small test bot: answers /start <code> with a greeting that names the code."""
    offset = None
    while True:
        for update in await bot.get_updates(offset=offset, timeout=1):
            offset = update.update_id + 1
            message = update.message
            if message and message.text and message.text.startswith("/start"):
                code = message.text.partition(" ")[2] or "none"
                name = message.from_user.first_name if message.from_user else "?"
                await bot.send_message(message.chat.id, f"Hello, {name}! Your code: {code}")


async def test_deep_link_start_and_reply_on_the_phone(scene: Scene) -> None:
    bot_task = asyncio.create_task(greeter(scene.bot))
    try:
        async with browser_page() as page:
            await page.goto(f"{scene.sandbox.url}/?user={scene.user_id}")
            await page.get_by_test_id("open-link").fill("https://t.me/shop_bot?start=abc_123")
            await page.get_by_test_id("open-go").click()
            start = page.get_by_test_id("start")
            await start.wait_for(state="visible")
            await screenshot(page, "phone-before-start")
            await start.click()
            reply = page.get_by_test_id("msg-bot").filter(has_text="Your code: abc_123")
            await reply.wait_for(timeout=10_000)
            assert "Hello, Зоя 🚀!" in await reply.inner_text()
            assert await page.get_by_test_id("msg-mine").first.inner_text() == "/start abc_123"
            await screenshot(page, "phone-after-reply")
    finally:
        bot_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot_task
