"""Key-value storage for short-lived things: one-time codes, sessions, rate limits, replay
guards. In memory for one process, Redis for several."""

from .base import KeyValueStore, kv_from_url

__all__ = ["KeyValueStore", "kv_from_url"]
