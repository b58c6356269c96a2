"""The pacer port: flood limits shared by every sender of the bot (one process in memory,
every process through Redis), and the bot-wide pause a 429 imposes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from tgpass.domain.pacing import Limit


class Pacer(ABC):
    @abstractmethod
    async def reserve(
        self, limits: Sequence[tuple[str, Limit]], *, max_wait: float | None = None
    ) -> tuple[float, bool]:
        """Reserve the next slot under each limit: (seconds to wait before sending, True).
        While the bot is paused (a 429), or when the wait would exceed ``max_wait``, nothing
        is reserved: (seconds until it might be, False)."""

    @abstractmethod
    async def backlog(self) -> float:
        """Seconds of sends already reserved under the bot-wide limit."""

    @abstractmethod
    async def pause(self, seconds: float) -> None:
        """Telegram said 429: no sender of this bot sends for ``seconds``."""

    @abstractmethod
    async def paused_for(self) -> float:
        """Seconds left of the pause, 0 when none."""

    async def close(self) -> None:  # noqa: B027 (optional)
        """Release connections."""
