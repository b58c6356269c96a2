"""Flood limits, faults and webhook delivery: what reliability tests of later code rely on."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram.error import NetworkError, RetryAfter

from tgpass.sandbox.errors import BotApiError
from tgpass.sandbox.limits import FloodControl, FloodLimits
from tgpass.sandbox.server import LoopbackServer
from tgpass.testing import FrozenClock

from .conftest import Scene


def test_private_chat_allows_a_short_burst_then_one_a_second() -> None:
    clock = FrozenClock(1000)
    flood = FloodControl(FloodLimits(), clock)
    for _ in range(3):
        flood.take(1, 10, group=False)
    with pytest.raises(BotApiError) as caught:
        flood.take(1, 10, group=False)
    assert caught.value.error_code == 429
    assert caught.value.parameters == {"retry_after": 1}
    flood.take(1, 11, group=False)  # another chat is not limited by this one
    clock.advance(1)
    flood.take(1, 10, group=False)


def test_bot_wide_limit_and_group_limit() -> None:
    clock = FrozenClock(1000)
    flood = FloodControl(FloodLimits(), clock)
    for chat in range(30):
        flood.take(1, chat, group=False)
    with pytest.raises(BotApiError):
        flood.take(1, 999, group=False)
    flood.take(2, 999, group=False)  # another bot has its own budget
    clock.advance(10)
    for _ in range(20):
        flood.take(1, -100, group=True)
    with pytest.raises(BotApiError) as caught:
        flood.take(1, -100, group=True)
    assert caught.value.parameters is not None
    assert caught.value.parameters["retry_after"] == 3  # one slot per 3 s at 20/min


def test_limits_off() -> None:
    flood = FloodControl(FloodLimits(enabled=False), FrozenClock(0))
    for _ in range(1000):
        flood.take(1, 1, group=False)


async def test_429_reaches_the_bot_library_as_retry_after(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    for n in range(3):  # the burst a private chat allows
        await scene.bot.send_message(scene.user_id, f"m{n}")
    with pytest.raises(RetryAfter) as caught:
        await scene.bot.send_message(scene.user_id, "one too many")
    assert caught.value.retry_after.total_seconds() >= 1  # type: ignore[union-attr]
    await scene.api.put("/limits", json={"enabled": False})
    for n in range(10):
        await scene.bot.send_message(scene.user_id, f"again {n}")


async def test_faults_errors_latency_and_flood_window(scene: Scene) -> None:
    bot_id = int(scene.bot_info["id"])
    await scene.api.put("/faults", json={"bot_id": bot_id, "error_rate": 1.0})
    with pytest.raises(NetworkError):
        await scene.bot.get_me()
    await scene.api.delete("/faults")
    await scene.api.put("/faults", json={"latency": 0.3})  # every bot
    started = time.perf_counter()
    assert await scene.bot.get_me()
    assert time.perf_counter() - started >= 0.3
    await scene.api.put("/faults", json={"bot_id": bot_id, "flood_seconds": 5})
    with pytest.raises(RetryAfter) as caught:
        await scene.bot.get_me()
    assert caught.value.retry_after.total_seconds() == 5  # type: ignore[union-attr]
    await scene.api.delete("/faults")
    assert await scene.bot.get_me()


class Receiver:
    """A website's webhook endpoint that fails the first ``failures`` deliveries."""

    def __init__(self, failures: int = 0, reply: dict[str, Any] | None = None) -> None:
        self.failures = failures
        self.reply = reply
        self.seen: list[tuple[str | None, dict[str, Any]]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> JSONResponse:
        update = await request.json()
        self.seen.append((request.headers.get("x-telegram-bot-api-secret-token"), update))
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"oops": True}, status_code=500)
        return JSONResponse(self.reply or {})


async def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_webhook_delivers_in_order_with_the_secret(scene: Scene) -> None:
    receiver = Receiver()
    async with LoopbackServer(receiver.app) as site:
        await scene.bot.set_webhook(f"{site.url}/hook", secret_token="hook_secret-1")
        for text in ("one", "two", "three"):
            await scene.act("messages", {"bot": "shop_bot", "text": text})
        await wait_until(lambda: len(receiver.seen) == 3)
        assert [u["message"]["text"] for _, u in receiver.seen] == ["one", "two", "three"]
        assert {secret for secret, _ in receiver.seen} == {"hook_secret-1"}
        await wait_until(lambda: scene.sandbox.world.bots[int(scene.bot_info["id"])].updates == [])
        assert (await scene.bot.get_webhook_info()).pending_update_count == 0


async def test_webhook_retries_and_records_the_error(scene: Scene) -> None:
    receiver = Receiver(failures=2)
    async with LoopbackServer(receiver.app) as site:
        await scene.bot.set_webhook(f"{site.url}/hook")
        await scene.act("messages", {"bot": "shop_bot", "text": "hello"})
        await wait_until(lambda: len(receiver.seen) == 3)
        ids = {u["update_id"] for _, u in receiver.seen}
        assert len(ids) == 1  # the same update, retried
        info = await scene.bot.get_webhook_info()
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert info.last_error_date is not None


async def test_webhook_fault_and_reply_with_a_method(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    await scene.bot.get_updates(offset=-1)
    await scene.bot.get_updates(offset=(await scene.bot.get_updates())[-1].update_id + 1)
    receiver = Receiver(reply={"method": "sendMessage", "chat_id": scene.user_id, "text": "pong"})
    await scene.api.put("/faults", json={"webhook_failures": 1})
    async with LoopbackServer(receiver.app) as site:
        await scene.bot.set_webhook(f"{site.url}/hook")
        await scene.act("messages", {"bot": "shop_bot", "text": "ping"})
        await wait_until(lambda: len(receiver.seen) == 1)

        async def replied() -> bool:
            dialog = await scene.sandbox.users.dialog(scene.user_id, "shop_bot")  # type: ignore[union-attr]
            return dialog["messages"][-1]["text"] == "pong"

        deadline = time.monotonic() + 5
        while not await replied():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        info = await scene.bot.get_webhook_info()
        assert info.last_error_message is not None  # the injected failure was recorded


async def test_webhook_timeout_is_retried(scene: Scene) -> None:
    slow = Receiver()
    delays = [1.0]

    async def hook(request: Request) -> JSONResponse:
        if delays:
            await asyncio.sleep(delays.pop())
        return await slow.hook(request)

    slow.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    scene.sandbox.state.webhooks.timeout = 0.2
    async with LoopbackServer(slow.app) as site:
        await scene.bot.set_webhook(f"{site.url}/hook")
        await scene.act("messages", {"bot": "shop_bot", "text": "slow"})
        await wait_until(lambda: len(slow.seen) >= 1 and not delays)
        await wait_until(lambda: scene.sandbox.world.bots[int(scene.bot_info["id"])].updates == [])
        info = await scene.bot.get_webhook_info()
        assert info.last_error_message == "Read timeout expired"
