"""Key-value storage for short-lived things: one-time codes, sessions, rate limits, replay
guards. In memory for one process, Redis for several."""

from tgpass.service.ports import KeyValueStore

from .base import kv_from_url

__all__ = ["KeyValueStore", "kv_from_url"]
