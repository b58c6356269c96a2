"""Pacers: in memory for one process, Redis for many."""

from __future__ import annotations

from tgpass.service.pacing import Pacer


def pacer_from_url(url: str, *, prefix: str = "tgpass:") -> Pacer:
    """The pacer that goes with the KV store: ``memory://`` or ``redis://...``."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisPacer

        return RedisPacer.from_url(url, prefix=prefix)
    from .memory import MemoryPacer

    return MemoryPacer()
