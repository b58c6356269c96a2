"""Choosing a KV adapter by URL. The port itself is ``tgpass.service.ports.KeyValueStore``."""

from __future__ import annotations

from tgpass.errors import ConfigError
from tgpass.service.ports import KeyValueStore


def kv_from_url(url: str, *, prefix: str = "tgpass:", timeout: float = 3.0) -> KeyValueStore:
    """``memory://`` or ``redis://...`` / ``rediss://...``. A shared store answers each call
    within ``timeout`` seconds or raises ``Unavailable`` (settings' ``store_timeout``)."""
    if url.startswith("memory://"):
        from .memory import MemoryStore

        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore.from_url(url, prefix=prefix, timeout=timeout)
    raise ConfigError("the KV URL must be memory:// or redis://...")
