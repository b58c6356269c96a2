"""The pacer port: flood limits shared by every sender of the bot (one process in memory,
every process through Redis), and the bot-wide pause a 429 imposes."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

from tgpass.domain.pacing import Limit


class Pacer(ABC):
    @abstractmethod
    async def reserve(
        self, limits: Sequence[tuple[str, Limit]], *, max_wait: float | None = None
    ) -> tuple[float, bool]:
        """Reserve the next slot under each limit: (seconds to wait before sending, True).
        While the bot is paused (a 429), or when the wait would exceed ``max_wait``, nothing
        is reserved: (seconds until it might be, False)."""

    @abstractmethod
    async def release(self, limits: Sequence[tuple[str, Limit]]) -> None:
        """Give back a slot ``reserve`` granted and that will not be used."""

    @abstractmethod
    async def backlog(self) -> float:
        """Seconds of sends already reserved under the bot-wide limit."""

    @abstractmethod
    async def pause(self, seconds: float) -> None:
        """Telegram said 429: no sender of this bot sends for ``seconds``."""

    @abstractmethod
    async def paused_for(self) -> float:
        """Seconds left of the pause, 0 when none."""

    # -- conveniences on top ----------------------------------------------------------------

    async def take_turn(
        self, limits: Sequence[tuple[str, Limit]], *, max_wait: float | None = None
    ) -> float:
        """Wait for this send's slot under every limit: 0.0 when it may go now. When that
        would take longer than ``max_wait``, nothing is kept and the seconds it would take
        are returned.

        A slot is reserved ahead of time, and a 429 may come while its send waits for it:
        the pause is looked at again once the slot is due, and the slot given back if one
        began. Once Telegram has said 429, no send begins before its retry_after is over.
        """
        deadline = None if max_wait is None else time.monotonic() + max_wait
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait, granted = await self.reserve(limits, max_wait=left)
            if not granted:
                if left is not None and wait > left:
                    return wait  # paused by a 429, or busy past max_wait
                await asyncio.sleep(wait)  # a short pause: then queue up again
                continue
            if wait <= 0:
                return 0.0
            await asyncio.sleep(wait)
            paused = await self.paused_for()
            if paused <= 0:
                return 0.0
            await self.release(limits)

    async def close(self) -> None:  # noqa: B027 (optional)
        """Release connections."""
