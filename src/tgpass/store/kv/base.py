"""Choosing a KV adapter by URL. The port itself is ``tgpass.service.ports.KeyValueStore``."""

from __future__ import annotations

from tgpass.errors import ConfigError
from tgpass.service.ports import KeyValueStore


def kv_from_url(url: str, *, prefix: str = "tgpass:") -> KeyValueStore:
    """``memory://`` or ``redis://...`` / ``rediss://...``."""
    if url.startswith("memory://"):
        from .memory import MemoryStore

        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore.from_url(url, prefix=prefix)
    raise ConfigError("the KV URL must be memory:// or redis://...")
