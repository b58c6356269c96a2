"""Pacing sends under Telegram's flood limits: the generic cell rate algorithm (GCRA), as
reservations. Each send reserves the next slot of every limit it falls under and learns how
long to wait for it, so concurrent senders queue in order instead of polling. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """``rate`` sends a second, ``burst`` of them at once after a quiet spell."""

    rate: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def tolerance(self) -> float:
        return (max(self.burst, 1) - 1) * self.interval


def reserve(tat: float | None, now: float, limit: Limit) -> tuple[float, float]:
    """Reserve one slot. ``tat`` is the limit's theoretical arrival time (None when new).
    Returns (seconds to wait, the new tat)."""
    start = now if tat is None else max(tat, now)
    wait = max(0.0, start - limit.tolerance - now)
    return wait, start + limit.interval


def give_back(tat: float, now: float, limit: Limit) -> float:
    """The tat once a reserved slot goes unused (a 429 came while its send waited)."""
    return max(now, tat - limit.interval)


def limits_for(
    chat_id: int,
    *,
    bot_rate: float,
    chat_rate: float,
    chat_burst: int,
    group_per_minute: int,
) -> list[tuple[str, Limit]]:
    """The limits a message to ``chat_id`` counts against: the bot's, and its chat's (a
    private chat's per second, a group's per minute: groups have negative ids)."""
    chat = (
        Limit(group_per_minute / 60.0, max(1, min(chat_burst, group_per_minute)))
        if chat_id < 0
        else Limit(chat_rate, chat_burst)
    )
    return [("bot", Limit(bot_rate, 1)), (f"chat:{chat_id}", chat)]


def ttl_of(tat: float, now: float) -> float:
    """How long a limit's state matters: after that, it is as if new."""
    return max(1.0, math.ceil(tat - now + 1))
