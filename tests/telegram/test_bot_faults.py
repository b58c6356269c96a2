"""The bot under faults, by webhook over real HTTP: while Telegram answers 30% of calls with
500 and first asks for a 3-second pause, users link, sign in with /login and press the
relink buttons. Every user ends linked and told so, every update is answered 2xx (none
stays pending), and nothing is logged as an error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import httpx
import pytest

from tests.harness.stack import SITE, Stack
from tgpass.bootstrap import make_worker
from tgpass.sandbox.server import LoopbackServer
from tgpass.web.app import create_app


async def said(stack: Stack, tg: int, text: str, *, seconds: float = 120) -> dict[str, Any]:
    """The bot's newest message to ``tg`` containing ``text``, once it has arrived."""
    deadline = time.monotonic() + seconds
    while True:
        for message in reversed(await stack.bot_says(tg)):
            if text in message["text"]:
                return message
        assert time.monotonic() < deadline, f"{tg} was never told {text!r}"
        await asyncio.sleep(0.1)


async def test_under_5xx_and_a_429_window_everyone_ends_linked_and_told_so(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    app = create_app(stack.services)
    async with LoopbackServer(app) as site:
        await stack.poller.bot.set_webhook(
            f"{site.url}/telegram/webhook", secret_token="hook-secret_1"
        )
        worker = asyncio.create_task(make_worker(stack.services).run())
        transport = httpx.ASGITransport(app=app)
        people = []
        for n in range(6):
            web = httpx.AsyncClient(transport=transport, base_url=SITE)
            registered = await web.post(
                "/api/auth/register", json={"username": f"user{n}", "password": "correct horse"}
            )
            web.headers["X-CSRF-Token"] = registered.json()["csrf_token"]
            offer = (await web.post("/api/link")).json()["url"]
            people.append((web, await stack.new_tg_user(f"T{n}"), offer))
        try:
            await stack.users.set_faults(error_rate=0.3, flood_seconds=3)
            for _, tg, offer in people:
                await stack.users.open_link(tg, offer)
                await stack.users.start(tg, stack.bot_username)
            for web, tg, _ in people:
                await said(stack, tg, "Linked!")
                assert (await web.get("/api/link")).json()["telegram"]["id"] == tg
                await stack.users.send(tg, stack.bot_username, "/login")
            for _, tg, _ in people:
                reply = await said(stack, tg, "Here is your sign-in link")
                url = reply["reply_markup"]["inline_keyboard"][0][0]["url"]
                async with httpx.AsyncClient(transport=transport, base_url=SITE) as fresh:
                    assert (await fresh.get(url.removeprefix(SITE))).status_code == 303
                    assert (await fresh.get("/api/me")).json()["source"] == "bot"
            # the Telegram account of user 0 redeems user 1's new code: a consent button
            web1, tg0 = people[1][0], people[0][1]
            offer = (await web1.post("/api/link")).json()["url"]
            await stack.users.open_link(tg0, offer)
            await stack.users.start(tg0, stack.bot_username)
            ask = await said(stack, tg0, "Move it to")
            await stack.users.press(tg0, stack.bot_username, "Yes, move it", ask["message_id"])
            await said(stack, tg0, "Moved")
            assert (await web1.get("/api/link")).json()["telegram"]["id"] == tg0
        finally:
            await stack.users.clear_faults()
            for web, _, _ in people:
                await web.aclose()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        # the last reply can reach the user before the webhook's answer reaches Telegram
        info = await stack.poller.bot.get_webhook_info()
        deadline = time.monotonic() + 10
        while info.pending_update_count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            info = await stack.poller.bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message is None  # no update was answered other than 2xx
    async with stack.services.uow() as tx:
        assert await tx.updates.failed() == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
