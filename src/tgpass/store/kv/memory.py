"""The in-memory KV store: one process, no I/O. Atomic because asyncio runs one step at a time."""

from __future__ import annotations

import time
from collections.abc import Callable

from tgpass.service.ports import KeyValueStore


class MemoryStore(KeyValueStore):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[bytes, float]] = {}

    @classmethod
    def from_url(cls, url: str = "memory://") -> MemoryStore:
        return cls()

    def _live(self, key: str) -> tuple[bytes, float] | None:
        item = self._data.get(key)
        if item is not None and item[1] <= self._clock():
            del self._data[key]
            return None
        return item

    def _sweep(self) -> None:
        # Bounded memory: expired keys go when the store grows, not only when read.
        if len(self._data) % 1024 == 0:
            now = self._clock()
            for key in [k for k, (_, expiry) in self._data.items() if expiry <= now]:
                del self._data[key]

    async def get(self, key: str) -> bytes | None:
        item = self._live(key)
        return None if item is None else item[0]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._sweep()
        self._data[key] = (value, self._clock() + ttl)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def pop(self, key: str) -> bytes | None:
        item = self._live(key)
        if item is None:
            return None
        del self._data[key]
        return item[0]

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl: float) -> int:
        item = self._live(key)
        if item is None:
            await self.set(key, b"1", ttl)
            return 1
        count = int(item[0]) + 1
        self._data[key] = (str(count).encode(), item[1])
        return count

    async def ttl(self, key: str) -> float | None:
        item = self._live(key)
        return None if item is None else item[1] - self._clock()
