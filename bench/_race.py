"""Calls timed side by side: each contender in turn, round after round, so that the machine's
moods fall on all of them alike; the median of the rounds is each one's time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

Call = Callable[[], object]


def per_call_seconds(call: Call, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number


def race(contenders: dict[str, Call], rounds: int, number: int) -> dict[str, float]:
    """Seconds per call of each contender (the median of ``rounds`` rounds of ``number``
    calls). Each is called once first: it must accept its input (it raises otherwise), and
    it warms its caches."""
    for call in contenders.values():
        call()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            samples[name].append(per_call_seconds(call, number))
    return {name: statistics.median(times) for name, times in samples.items()}
