"""Telegram's flood limits (Bot FAQ): about 30 messages a second per bot, one a second per
private chat with short bursts allowed, 20 a minute per group. Over them: 429 with
``retry_after``. On by default; every figure configurable, or all off."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests


@dataclass
class FloodLimits:
    enabled: bool = True
    bot_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0


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

    def take(self, bot_id: int, chat_id: int, *, group: bool) -> None:
        """Count one message from ``bot_id`` to ``chat_id``, or raise 429 with retry_after."""
        if not self.limits.enabled:
            return
        now = self.clock()
        if group:
            chat_rate, chat_capacity = (
                self.limits.group_per_minute / 60,
                self.limits.group_per_minute,
            )
        else:
            chat_rate, chat_capacity = self.limits.private_per_second, self.limits.private_burst
        bot_rate = self.limits.bot_per_second
        wanted = [
            (("bot", bot_id), bot_rate, bot_rate),
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
