"""Faults on demand, per bot or for every bot: slow answers, a share of 5xx, a forced 429
window, a webhook receiver that fails. Reliability tests of what talks to Telegram use them."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .errors import BotApiError, too_many_requests

EVERY_BOT = 0


@dataclass
class Faults:
    latency: float = 0.0
    """Seconds added before every Bot API answer."""
    error_rate: float = 0.0
    """Share (0-1) of Bot API calls answered 500 Internal Server Error."""
    flood_until: float = 0.0
    """Unix time until which every call is answered 429 with the remaining retry_after."""
    webhook_failures: int = 0
    """How many of the next webhook deliveries fail, as if the receiver answered 500."""
    webhook_failure_rate: float = 0.0
    """Share (0-1) of webhook deliveries that fail that way."""


class FaultInjector:
    def __init__(self, clock: Callable[[], float], seed: int | None = None) -> None:
        self.clock = clock
        self.random = random.Random(seed)  # noqa: S311 (chance of a fault, not a secret)
        self.faults: dict[int, Faults] = {}

    def set(self, faults: Faults, bot_id: int = EVERY_BOT) -> None:
        self.faults[bot_id] = faults

    def clear(self) -> None:
        self.faults.clear()

    def _applying(self, bot_id: int) -> list[Faults]:
        return [f for key in (EVERY_BOT, bot_id) if (f := self.faults.get(key)) is not None]

    def latency(self, bot_id: int) -> float:
        return sum(f.latency for f in self._applying(bot_id))

    def check_call(self, bot_id: int) -> None:
        """Raise the failure a faulty Telegram would answer this call with, if any."""
        now = self.clock()
        for faults in self._applying(bot_id):
            if faults.flood_until > now:
                raise too_many_requests(max(1, math.ceil(faults.flood_until - now)))
            if faults.error_rate and self.random.random() < faults.error_rate:
                raise BotApiError(500, "Internal Server Error")

    def webhook_fails(self, bot_id: int) -> bool:
        for faults in self._applying(bot_id):
            if faults.webhook_failures > 0:
                faults.webhook_failures -= 1
                return True
            if faults.webhook_failure_rate and self.random.random() < faults.webhook_failure_rate:
                return True
        return False
