"""A pacer for one process."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from tgpass.domain.pacing import Limit, reserve
from tgpass.service.pacing import Pacer


class MemoryPacer(Pacer):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tats: dict[str, float] = {}
        self._paused_until = 0.0

    async def reserve(self, limits: Sequence[tuple[str, Limit]]) -> float:
        now = self.clock()
        longest = 0.0
        for key, limit in limits:
            wait, self._tats[key] = reserve(self._tats.get(key), now, limit)
            longest = max(longest, wait)
        if len(self._tats) > 100_000:  # forget chats that went quiet
            self._tats = {k: t for k, t in self._tats.items() if t > now}
        return longest

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def paused_for(self) -> float:
        return max(0.0, self._paused_until - self.clock())
