"""The worker: the service's background loops (the outbox sender, long polling, and what
else the composition root gives it), each restarted after a crash with a growing delay, so
one failing loop never stops the others.

An outage of the database or Redis is expected, not a bug: it is said once (WARNING: what is
unreachable, which loop waits), the stores are probed with a growing delay meanwhile, and once
they answer the loop starts again at once, said once more (INFO). Tracebacks are kept for
what is not an outage."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from tgpass.errors import TelegramError

log = logging.getLogger("tgpass.worker")
Loop = Callable[[], Awaitable[None]]
OutageOf = Callable[[BaseException], "str | None"]
"""What could not be reached, when an error says a store is out of reach; else None."""
Probe = Callable[[], Awaitable[None]]
"""Raises unless every store answers."""
MAX_DELAY = 2.0
"""The longest wait between two probes: what waited goes soon after the store is back."""


def _no_outages(error: BaseException) -> str | None:
    return None


async def _nothing_to_probe() -> None:
    return None


class Worker:
    def __init__(
        self,
        loops: Mapping[str, Loop],
        *,
        outage_of: OutageOf = _no_outages,
        probe: Probe = _nothing_to_probe,
    ) -> None:
        self.loops = dict(loops)
        self.outage_of = outage_of
        self.probe = probe

    async def run(self) -> None:
        """Run every loop until cancelled."""
        tasks = [asyncio.create_task(self._keep(name, loop)) for name, loop in self.loops.items()]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, name: str, loop: Loop) -> None:
        delay = 1.0
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                unreachable = self.outage_of(error)
                if unreachable is not None:
                    await self._wait_out(name, unreachable, error)
                    delay = 1.0
                    continue
                if isinstance(error, TelegramError):  # Telegram's trouble is no bug of ours
                    log.warning(
                        "Telegram failed (%s); the %s loop tries again in %.0f s",
                        _briefly(error),
                        name,
                        delay,
                    )
                else:
                    log.exception("the %s loop stopped; restarting in %.0f s", name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    async def _wait_out(self, name: str, unreachable: str, error: BaseException) -> None:
        """Probe the stores, with a growing delay, until they answer."""
        began = time.monotonic()
        log.warning(
            "%s is unreachable (%s); the %s loop waits for it",
            unreachable,
            _briefly(error),
            name,
        )
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            try:
                await self.probe()
            except Exception as still:
                if self.outage_of(still) is None:  # a broken probe: say so, keep waiting
                    log.exception("probing the stores failed")
                delay = min(delay * 2, MAX_DELAY)
                continue
            log.info(
                "%s answers again; the %s loop goes on (waited %.0f s)",
                unreachable,
                name,
                time.monotonic() - began,
            )
            return


async def until_one_fails(*loops: Awaitable[None]) -> None:
    """Run ``loops`` together until cancelled; the first to fail stops the others, and its
    error is raised (for the worker to say and start them again)."""
    tasks = [asyncio.ensure_future(loop) for loop in loops]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # the first failure, raised
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _briefly(error: BaseException) -> str:
    """The error in a line: its type and its first line, not its traceback."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:200] if first else type(error).__name__
