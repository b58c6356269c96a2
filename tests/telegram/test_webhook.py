"""Updates by webhook, over real HTTP: the sandbox delivers to the service's endpoint."""

from __future__ import annotations

import asyncio
import time

from tests.harness.stack import Stack
from tgpass.sandbox.server import LoopbackServer
from tgpass.web.app import create_app


async def test_the_secret_is_checked(stack: Stack) -> None:
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
    }
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        answer = await stack.web.post("/telegram/webhook", json=update, headers=headers)
        assert answer.status_code == 403
    good = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret_1"}
    assert (
        await stack.web.post("/telegram/webhook", content=b"{not json", headers=good)
    ).status_code == 400
    # JSON that is no update at all (Telegram never sends it) is refused plainly
    assert (await stack.web.post("/telegram/webhook", json=[1, 2], headers=good)).status_code == 400
    assert (
        await stack.web.post("/telegram/webhook", json={"update_id": 2, "poll": {}}, headers=good)
    ).status_code == 200


async def test_updates_arrive_by_webhook(stack: Stack) -> None:
    async with LoopbackServer(create_app(stack.services)) as site:
        bot = stack.poller.bot
        await bot.set_webhook(f"{site.url}/telegram/webhook", secret_token="hook-secret_1")
        tg = await stack.new_tg_user("Ann")
        await stack.users.send(tg, stack.bot_username, "/start")
        deadline = time.monotonic() + 10
        while not await stack.bot_says(tg):
            assert time.monotonic() < deadline, "no reply by webhook"
            await asyncio.sleep(0.05)
        assert "To link your account" in (await stack.bot_says(tg))[-1]["text"]
        # the reply can reach the user before the webhook's answer reaches Telegram
        info = await bot.get_webhook_info()
        while info.pending_update_count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message is None
