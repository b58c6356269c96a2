"""The key-value port: few abstract methods, each atomic, every value with a TTL."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from tgpass.errors import ConfigError


class KeyValueStore(ABC):
    """Bytes under string keys, each with a time to live in seconds.

    Implementations make every method atomic, across processes where they are shared: a code
    ``pop``-ed by fifty callers at once is returned to exactly one of them.
    """

    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    @abstractmethod
    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set only if absent; True when this call set it."""

    @abstractmethod
    async def pop(self, key: str) -> bytes | None:
        """Get and delete in one step."""

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    @abstractmethod
    async def incr(self, key: str, ttl: float) -> int:
        """Add one and return the count; the TTL starts with the first increment."""

    @abstractmethod
    async def ttl(self, key: str) -> float | None:
        """Seconds left, or None when the key is absent."""

    async def close(self) -> None:  # noqa: B027 (optional for backends without resources)
        """Release connections."""

    # -- conveniences on top ----------------------------------------------------------------

    async def get_json(self, key: str) -> Any:
        raw = await self.get(key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        await self.set(key, json.dumps(value).encode(), ttl)

    async def pop_json(self, key: str) -> Any:
        raw = await self.pop(key)
        return None if raw is None else json.loads(raw)


def kv_from_url(url: str, *, prefix: str = "tgpass:") -> KeyValueStore:
    """``memory://`` or ``redis://...`` / ``rediss://...``."""
    if url.startswith("memory://"):
        from .memory import MemoryStore

        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore.from_url(url, prefix=prefix)
    raise ConfigError("the KV URL must be memory:// or redis://...")
