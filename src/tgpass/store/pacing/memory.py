"""A pacer for one process."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from tgpass.domain.pacing import Limit, give_back, reserve
from tgpass.service.pacing import Pacer


class MemoryPacer(Pacer):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tats: dict[str, float] = {}
        self._paused_until = 0.0

    async def reserve(
        self, limits: Sequence[tuple[str, Limit]], *, max_wait: float | None = None
    ) -> tuple[float, bool]:
        now = self.clock()
        if self._paused_until > now:
            return self._paused_until - now, False
        planned = [(key, *reserve(self._tats.get(key), now, limit)) for key, limit in limits]
        longest = max((wait for _, wait, _ in planned), default=0.0)
        if max_wait is not None and longest > max_wait:
            return longest, False
        for key, _, tat in planned:
            self._tats[key] = tat
        if len(self._tats) > 100_000:  # forget chats that went quiet
            self._tats = {k: t for k, t in self._tats.items() if t > now}
        return longest, True

    async def release(self, limits: Sequence[tuple[str, Limit]]) -> None:
        now = self.clock()
        for key, limit in limits:
            if key in self._tats:
                self._tats[key] = give_back(self._tats[key], now, limit)

    async def backlog(self) -> float:
        return max(0.0, self._tats.get("bot", 0.0) - self.clock())

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def paused_for(self) -> float:
        return max(0.0, self._paused_until - self.clock())
