"""The worker: the service's background loops (the outbox sender, long polling, and what
else the composition root gives it), each restarted after a crash with a growing delay, so
one failing loop never stops the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

log = logging.getLogger("tgpass.worker")
Loop = Callable[[], Awaitable[None]]


class Worker:
    def __init__(self, loops: Mapping[str, Loop]) -> None:
        self.loops = dict(loops)

    async def run(self) -> None:
        """Run every loop until cancelled."""
        tasks = [asyncio.create_task(self._keep(name, loop)) for name, loop in self.loops.items()]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def _keep(name: str, loop: Loop) -> None:
        delay = 1.0
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the %s loop stopped; restarting in %.0f s", name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)
