"""Long polling: read updates with getUpdates and hand each to the bot service."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from tgpass.service.bot import BotService

from .updates import ALLOWED_UPDATES, event_of

log = logging.getLogger("tgpass.polling")


class Poller:
    def __init__(self, bot: Bot, service: BotService, *, timeout: int = 25) -> None:
        self.bot = bot
        self.service = service
        self.timeout = timeout
        self.offset: int | None = None

    async def poll_once(self, timeout: int | None = None) -> int:
        """One getUpdates round; returns how many updates it handled."""
        updates = await self.bot.get_updates(
            offset=self.offset,
            timeout=self.timeout if timeout is None else timeout,
            allowed_updates=ALLOWED_UPDATES,
        )
        for update in updates:
            event = event_of(update)
            if event is not None:
                await self.service.handle(event)
            self.offset = update.update_id + 1  # confirmed once handled
        return len(updates)

    async def run(self) -> None:
        """Poll until cancelled, backing off on network trouble."""
        await self.bot.initialize()
        await self.bot.delete_webhook()
        delay = 1.0
        while True:
            try:
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
            except Exception:
                log.exception("an update could not be handled; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)
