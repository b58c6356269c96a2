"""Redis as the KV store: shared by every process of the service."""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

from tgpass.service.ports import KeyValueStore

# INCR then set the expiry only on the first increment, atomically.
_INCR = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisStore(KeyValueStore):
    def __init__(self, client: Redis, *, prefix: str = "tgpass:") -> None:
        self._redis = client
        self._prefix = prefix
        self._incr = client.register_script(_INCR)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tgpass:") -> RedisStore:
        return cls(Redis.from_url(url), prefix=prefix)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> bytes | None:
        return cast("bytes | None", await self._redis.get(self._key(key)))

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(self._key(key), value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        done = await self._redis.set(self._key(key), value, px=max(1, int(ttl * 1000)), nx=True)
        return bool(done)

    async def pop(self, key: str) -> bytes | None:
        return cast("bytes | None", await self._redis.getdel(self._key(key)))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._key(key))

    async def incr(self, key: str, ttl: float) -> int:
        count = await self._incr(keys=[self._key(key)], args=[max(1, int(ttl * 1000))])
        return int(count)

    async def ttl(self, key: str) -> float | None:
        left = await self._redis.pttl(self._key(key))
        return None if left < 0 else left / 1000

    async def close(self) -> None:
        await self._redis.aclose()
