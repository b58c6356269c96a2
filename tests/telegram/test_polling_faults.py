"""Long polling and the bot's command menu while Telegram fails: nothing is lost, nothing
stalls, and both carry on once Telegram answers again."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from telegram.error import NetworkError

from tests.harness.stack import Stack
from tgpass.service.worker import Worker


async def test_polling_through_5xx_loses_no_update(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    await stack.users.send(tg, stack.bot_username, "/help")
    await stack.users.set_faults(error_rate=1.0)
    with pytest.raises(NetworkError):  # what Poller.run backs off from
        await stack.pump()
    await stack.users.clear_faults()
    assert await stack.pump() == 1  # the update waited at Telegram
    assert (await stack.bot_says(tg))[-1]["text"].startswith("I link your")


async def test_polling_through_a_429_window(stack: Stack) -> None:
    tg = await stack.new_tg_user("Bob")
    await stack.users.send(tg, stack.bot_username, "/help")
    await stack.users.set_faults(flood_seconds=1)
    running = asyncio.create_task(stack.poller.run())
    try:
        deadline = time.monotonic() + 15
        while not await stack.bot_says(tg):
            assert time.monotonic() < deadline, "polling stalled after the 429 window"
            await asyncio.sleep(0.1)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_the_command_menu_is_set_once_telegram_answers(stack: Stack) -> None:
    await stack.users.set_faults(error_rate=1.0)
    worker = asyncio.create_task(Worker({"commands": stack.services.bot.set_commands}).run())
    try:
        await asyncio.sleep(0.3)
        await stack.users.clear_faults()
        deadline = time.monotonic() + 10
        while not worker.done():
            assert time.monotonic() < deadline, "the menu was never set"
            await asyncio.sleep(0.1)
        commands = await stack.poller.bot.get_my_commands()
        assert [c.command for c in commands] == ["start", "login", "me", "unlink", "help"]
        # and each other language's menu, every one of them set through the failures
        for language_code in ("ru", "fa"):
            menu = await stack.poller.bot.get_my_commands(language_code=language_code)
            assert [c.command for c in menu] == [c.command for c in commands], language_code
            assert menu[0].description != commands[0].description, language_code
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
