"""When a failed attempt is sent again, and after how long: only a call that may be repeated
(see ``Call.repeatable``), only after an answer that says "later" (429, 5xx) or no answer at
all, a bounded number of times, waiting what ``Retry-After`` asks or an exponential backoff
with jitter, so that clients that failed together do not come back together."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers that say the same request may succeed later; a 4xx else is final."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` in all (1: never again). The wait before attempt ``n + 1`` is what the
    answer's ``Retry-After`` asks, else ``base_delay * 2**(n - 1)`` capped at ``max_delay``,
    each taken down by up to half at random. An answer asking for more than
    ``max_retry_after`` seconds is not waited for: its error is raised at once, carrying
    ``retry_after``."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a call needs one attempt at least")
        if min(self.base_delay, self.max_delay, self.max_retry_after) < 0:
            raise ValueError("delays are seconds, never negative")

    def backoff(self, attempt: int, jitter: float) -> float:
        """The wait after failed attempt ``attempt`` (1 for the first), with ``jitter`` in
        [0, 1) taking up to half of it off."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling * (1 - jitter / 2)


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(slots=True)
class Retrying:
    """The retry decisions of one call, attempt after attempt."""

    policy: RetryPolicy
    repeatable: bool
    jitter: random.Random
    attempt: int = 1

    def after_answer(self, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again, or ``None``: this answer is the outcome."""
        if response.status_code not in RETRIED_STATUSES:
            return None
        asked = retry_after_of(response)
        if asked is not None and asked > self.policy.max_retry_after:
            return None
        return self._next(asked)

    def after_failure(self, error: httpx.TransportError) -> float | None:
        """Seconds to wait after no answer, or ``None``: raise it. A connection never made
        sent nothing, so any call may be tried again; after a request went out, only one
        that may be repeated."""
        never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
        return self._next(None, also=never_sent)

    def _next(self, asked: float | None, *, also: bool = False) -> float | None:
        if not (self.repeatable or also) or self.attempt >= self.policy.attempts:
            return None
        wait = (
            asked if asked is not None else self.policy.backoff(self.attempt, self.jitter.random())
        )
        self.attempt += 1
        return wait


def retry_after_of(response: httpx.Response, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (it may be a number of seconds or an HTTP date), or
    ``None`` when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
