"""Webhook delivery as Telegram does it: POST each update to the bot's URL with
``X-Telegram-Bot-Api-Secret-Token``, in order, retrying with backoff on a non-2xx answer or a
timeout, and recording the last error for getWebhookInfo. A 2xx answer may carry a method
call (``{"method": "sendMessage", ...}``), which is then executed, as on Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from . import botapi
from .errors import BotApiError
from .faults import FaultInjector
from .world import Bot, World

Waiter = Callable[[Bot, float], Coroutine[Any, Any, None]]


class WebhookDelivery:
    def __init__(
        self,
        world: World,
        faults: FaultInjector,
        wait_for_updates: Waiter,
        *,
        timeout: float = 10.0,
        retry_base: float = 0.05,
        retry_max: float = 5.0,
    ) -> None:
        self.world = world
        self.faults = faults
        self.wait_for_updates = wait_for_updates
        self.timeout = timeout
        self.retry_base = retry_base
        self.retry_max = retry_max
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._http: httpx.AsyncClient | None = None

    def ensure(self, bot: Bot) -> None:
        """Deliver ``bot``'s updates while it has a webhook."""
        task = self._tasks.get(bot.id)
        if bot.webhook is not None and (task is None or task.done()):
            self._tasks[bot.id] = asyncio.create_task(self._deliver(bot))

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._http is not None:
            await self._http.aclose()

    async def _deliver(self, bot: Bot) -> None:
        delay = self.retry_base
        while bot.webhook is not None:
            if not bot.updates:
                await self.wait_for_updates(bot, 1.0)
                await asyncio.sleep(0)  # never a hot loop, even if the wait returns at once
                continue
            update = bot.updates[0]
            error = await self._post(bot, update)
            if error is None:
                self.world.confirm_update(bot, update["update_id"])
                delay = self.retry_base
                continue
            if bot.webhook is not None:
                bot.webhook.last_error_date = self.world.now()
                bot.webhook.last_error_message = error
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max)

    async def _post(self, bot: Bot, update: dict[str, Any]) -> str | None:
        """None when delivered, else the error Telegram would report."""
        webhook = bot.webhook
        if webhook is None:
            return "Webhook was deleted"
        if self.faults.webhook_fails(bot.id):
            return "Wrong response from the webhook: 500 Internal Server Error"
        if self._http is None:
            self._http = httpx.AsyncClient()
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            answer = await self._http.post(
                webhook.url, content=json.dumps(update), headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            return "Read timeout expired"
        except httpx.HTTPError as failure:
            return f"Connection failed: {type(failure).__name__}"
        if not 200 <= answer.status_code < 300:
            return f"Wrong response from the webhook: {answer.status_code} {answer.reason_phrase}"
        self._run_reply(bot, answer)
        return None

    def _run_reply(self, bot: Bot, answer: httpx.Response) -> None:
        try:
            reply = answer.json()
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            params = {k: v for k, v in reply.items() if k != "method"}
            with contextlib.suppress(BotApiError):  # Telegram drops a failing reply silently
                botapi.call(self.world, bot, reply["method"], params)
