"""Redis as the KV store: shared by every process of the service.

Every call answers within ``timeout`` seconds or raises ``Unavailable``, as does any failure
to reach Redis: a request then answers 503 at once instead of hanging on a dead server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar, cast

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tgpass.errors import Unavailable
from tgpass.service.ports import KeyValueStore

T = TypeVar("T")
DEFAULT_TIMEOUT = 3.0

# INCR then set the expiry only on the first increment, atomically.
_INCR = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisStore(KeyValueStore):
    def __init__(
        self, client: Redis, *, prefix: str = "tgpass:", timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._timeout = timeout
        self._incr = client.register_script(_INCR)

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "tgpass:", timeout: float = DEFAULT_TIMEOUT
    ) -> RedisStore:
        client = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            # One quick retry (a pooled connection a restarted server dropped), no back-off:
            # the caller's deadline is ``timeout`` in all.
            retry=Retry(NoBackoff(), 1),
        )
        return cls(client, prefix=prefix, timeout=timeout)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except (TimeoutError, RedisTimeoutError):
            raise Unavailable(f"the KV store did not answer within {self._timeout:g} s") from None
        except (RedisConnectionError, OSError):
            raise Unavailable("the KV store cannot be reached") from None

    async def get(self, key: str) -> bytes | None:
        return cast("bytes | None", await self._call(self._redis.get(self._key(key))))

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._call(self._redis.set(self._key(key), value, px=max(1, int(ttl * 1000))))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        done = await self._call(
            self._redis.set(self._key(key), value, px=max(1, int(ttl * 1000)), nx=True)
        )
        return bool(done)

    async def pop(self, key: str) -> bytes | None:
        return cast("bytes | None", await self._call(self._redis.getdel(self._key(key))))

    async def delete(self, key: str) -> None:
        await self._call(self._redis.delete(self._key(key)))

    async def incr(self, key: str, ttl: float) -> int:
        count = await self._call(self._incr(keys=[self._key(key)], args=[max(1, int(ttl * 1000))]))
        return int(count)

    async def ttl(self, key: str) -> float | None:
        left = await self._call(self._redis.pttl(self._key(key)))
        return None if left < 0 else left / 1000

    async def close(self) -> None:
        await self._redis.aclose()
