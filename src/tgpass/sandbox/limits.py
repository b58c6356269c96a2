"""Telegram's flood limits (Bot FAQ): about 30 messages a second per bot, one a second per
private chat with short bursts allowed, 20 a minute per group. A message sent with Bot API
7.11's ``allow_paid_broadcast`` counts against a separate bot-wide budget of 1000 a second
(the per-chat limits still hold). Over a limit: 429 with ``retry_after``. On by default;
every figure configurable, ``scale`` multiplies every rate (0.1: ten times slower), or all off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests


@dataclass
class FloodLimits:
    enabled: bool = True
    bot_per_second: float = 30.0
    """Messages a bot may send a second, over all its chats (the bucket holds one second's)."""
    private_per_second: float = 1.0
    """Messages a second into one private chat, after the burst."""
    private_burst: float = 3.0
    """Messages a private chat takes at once before the per-second rate applies."""
    group_per_minute: float = 20.0
    """Messages a minute into one group (all may come at once)."""
    paid_broadcast_per_second: float = 1000.0
    """The bot-wide rate for messages sent with ``allow_paid_broadcast``."""
    scale: float = 1.0
    """Every rate above is multiplied by this (0.1: ten times stricter, 10: ten times looser).
    The bot-wide and group budgets hold a second's and a minute's worth of the scaled rate;
    the private burst stays as given."""


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class FloodControl:
    """Token buckets per bot and per chat; a message takes one token from each."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: dict[tuple[object, ...], _Bucket] = {}

    def reset(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._buckets.clear()

    def take(self, bot_id: int, chat_id: int, *, group: bool, paid: bool = False) -> None:
        """Count one message from ``bot_id`` to ``chat_id``, or raise 429 with retry_after.
        ``paid``: sent with allow_paid_broadcast, so the paid bot-wide budget applies."""
        limits = self.limits
        if not limits.enabled:
            return
        now = self.clock()
        scale = limits.scale
        if group:
            per_minute = limits.group_per_minute * scale
            chat_rate, chat_capacity = per_minute / 60, max(per_minute, 1.0)
        else:
            chat_rate, chat_capacity = limits.private_per_second * scale, limits.private_burst
        bot_key, bot_rate = (
            (("paid", bot_id), limits.paid_broadcast_per_second * scale)
            if paid
            else (("bot", bot_id), limits.bot_per_second * scale)
        )
        wanted = [
            (bot_key, bot_rate, max(bot_rate, 1.0)),
            (("chat", bot_id, chat_id), chat_rate, chat_capacity),
        ]
        buckets = [self._refilled(key, rate, capacity, now) for key, rate, capacity in wanted]
        waits = [
            (1 - bucket.tokens) / rate
            for bucket, (_, rate, _cap) in zip(buckets, wanted, strict=True)
            if bucket.tokens < 1
        ]
        if waits:
            raise too_many_requests(max(1, math.ceil(max(waits))))
        for bucket in buckets:
            bucket.tokens -= 1

    def _refilled(
        self, key: tuple[object, ...], rate: float, capacity: float, now: float
    ) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        return bucket
