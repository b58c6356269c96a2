"""Long polling: read updates with getUpdates and hand each to the bot service.

Updates are read as raw JSON, one at a time through the same reader as the webhook, so one
unreadable update becomes a dead letter instead of failing the batch, and the offset always
moves on: a bad update never stalls the ones behind it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from typing import Any

from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from tgpass.service.bot.core import BotService

from .updates import allowed_updates, hand_over, update_id_of

log = logging.getLogger("tgpass.polling")


class Poller:
    def __init__(self, bot: Bot, service: BotService, *, timeout: int = 25) -> None:
        self.bot = bot
        self.service = service
        self.timeout = timeout
        self.offset: int | None = None

    async def poll_once(self, timeout: int | None = None) -> int:
        """One getUpdates round; returns how many updates it read."""
        await self.bot.initialize()  # (once: PTB returns at once when it already is)
        wait = self.timeout if timeout is None else timeout
        kwargs: dict[str, Any] = {
            "timeout": wait,
            "allowed_updates": allowed_updates(self.service.event_types),
        }
        if self.offset is not None:
            kwargs["offset"] = self.offset
        with warnings.catch_warnings():
            # raw JSON on purpose: PTB would parse the whole batch at once
            warnings.simplefilter("ignore", PTBUserWarning)
            updates = await self.bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=wait + 10
            )
        for data in updates if isinstance(updates, list) else []:
            update_id = update_id_of(data)
            if update_id is None:
                continue
            await hand_over(self.service, update_id, data, json.dumps(data, ensure_ascii=False))
            self.offset = update_id + 1  # confirmed once handled or kept as a dead letter
        return len(updates) if isinstance(updates, list) else 0

    async def run(self) -> None:
        """Poll until cancelled, backing off on network trouble (at start too: Telegram may
        be failing or flood-limiting the very first calls). Anything else (the store is away:
        an update could not be recorded) stops the loop: the worker says so once and starts
        it again when the store answers, and the update is read again."""
        delay = 1.0
        ready = False
        while True:
            try:
                if not ready:
                    await self.bot.delete_webhook()
                    ready = True
                await self.poll_once()
                delay = 1.0
            except RetryAfter as flood:
                retry = flood.retry_after
                await asyncio.sleep(
                    retry if isinstance(retry, int | float) else retry.total_seconds()
                )
            except (NetworkError, TimedOut) as trouble:
                log.warning(
                    "polling failed (%s); retrying in %.0f s", type(trouble).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)
