"""The deliverer: sends pending deliveries to the sites' endpoints, signed (Standard
Webhooks), each endpoint with its own limit so that one slow or dead endpoint holds back
only its own deliveries; retries on the schedule; records what became of each."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from tgpass.domain.webhooks import ATTEMPT_TIMEOUT, RETRY_SCHEDULE
from tgpass.service.metrics import Metrics
from tgpass.service.ports import WebhookTransport
from tgpass.service.uow import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class DelivererConfig:
    schedule: tuple[float, ...] = RETRY_SCHEDULE
    order_hold: float = 3600.0
    disable_after: float = 5 * 86400.0
    concurrency: int = 8
    """Deliveries in flight to one endpoint at once."""
    timeout: float = ATTEMPT_TIMEOUT
    lease: float = 60.0
    """How long a claimed delivery is this worker's; longer than ``timeout``."""


class Deliverer:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        transport: WebhookTransport,
        metrics: Metrics,
        config: DelivererConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.transport = transport
        self.metrics = metrics
        self.config = config
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was announced: look for due deliveries now, not at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        """The worker's loop."""
        raise NotImplementedError
