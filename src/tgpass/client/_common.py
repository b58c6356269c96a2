"""What the sync and async clients share beyond the calls: their httpx options, and the
watch over a notification's progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tgpass import __version__

from ._errors import ProgressTimeout
from ._models import NotificationStatus

USER_AGENT = f"tgpass-client/{__version__}"


def http_options(base_url: str, api_key: str, timeout: float | httpx.Timeout) -> dict[str, Any]:
    """The options of the httpx client under either client. The key goes in a header of
    the httpx client, never in a URL (which servers and proxies log)."""
    if not api_key or api_key != api_key.strip():
        raise ValueError("the API key is one of TGPASS_API_KEYS, without spaces around it")
    return {
        "base_url": base_url.rstrip("/"),
        "timeout": timeout,
        "headers": {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
        "follow_redirects": False,
    }


@dataclass(slots=True)
class ProgressWatch:
    """Polling one notification until it is done: how long to wait before the next read,
    and when to give up (``timeout`` seconds; ``None``: never)."""

    interval: float
    timeout: float | None
    clock: Callable[[], float] = time.monotonic
    deadline: float | None = field(init=False)

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("the interval between reads is a positive number of seconds")
        self.deadline = None if self.timeout is None else self.clock() + self.timeout

    def wait_after(self, status: NotificationStatus) -> float:
        """The seconds to wait before reading again a status that is not done; raises
        ``ProgressTimeout`` when the deadline would pass first."""
        if self.deadline is None:
            return self.interval
        left = self.deadline - self.clock()
        if left <= 0:
            raise ProgressTimeout(
                f"notification {status.id} still {status.status} after {self.timeout} s "
                f"({status.settled} of {status.recipients} settled)",
                last=status,
            )
        return min(self.interval, left)
