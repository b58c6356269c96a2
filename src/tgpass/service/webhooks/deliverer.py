"""The deliverer: sends pending deliveries to the sites' endpoints, signed (Standard
Webhooks), each endpoint with its own limit so that one slow or dead endpoint holds back
only its own deliveries; retries on the schedule; records what became of each.

A delivery is leased to one deliverer while it is tried, so any number of them, in any
number of processes, share the deliveries. An endpoint that answered 2xx is not sent the
event again, except across a crash between its answer and the record of it (outcomes are
written every few milliseconds): the site deduplicates by ``webhook-id``."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from tgpass.domain.webhooks import (
    ATTEMPT_TIMEOUT,
    RETRY_SCHEDULE,
    Delivery,
    DeliveryResult,
    Endpoint,
    body_of,
    next_attempt_at,
    outcome_of,
)
from tgpass.service.metrics import Metrics
from tgpass.service.ports import EndpointUnreachable, WebhookTransport
from tgpass.service.uow import UnitOfWork, UnitOfWorkFactory
from tgpass.service.worker import until_one_fails

log = logging.getLogger("tgpass.webhooks")

GONE = "the endpoint answered 410 Gone"
LEASE_MARGIN = 5.0
"""Seconds of lease left, beyond the attempt's timeout, for its outcome to be recorded."""


@dataclass(frozen=True, slots=True)
class DelivererConfig:
    schedule: tuple[float, ...] = RETRY_SCHEDULE
    order_hold: float = 3600.0
    disable_after: float = 5 * 86400.0
    concurrency: int = 8
    """Deliveries in flight to one endpoint at once, in this process."""
    timeout: float = ATTEMPT_TIMEOUT
    lease: float | None = None
    """How long a claimed delivery is this worker's, longer than ``timeout``; None: twice
    the timeout and 10 s more. A worker that died holding deliveries delays them this
    long."""
    poll_interval: float = 0.5
    """The longest wait for due deliveries when nothing wakes the loop (retries fall due
    without anyone saying so)."""
    flush_interval: float = 0.02
    ahead: int = 3
    """The loop claims up to this many times ``concurrency`` more than an endpoint has
    slots free, so that a finished attempt is followed by the next at once, not by a
    claim."""
    claim_pause: float = 0.005
    """Between two claims that found work: a claim per finished attempt would cost more
    than the attempts."""

    @property
    def lease_seconds(self) -> float:
        return self.lease if self.lease is not None else 2 * self.timeout + 10

    gauge_interval: float = 5.0
    """How often the pending deliveries per endpoint are counted for ``/metrics``."""


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One attempt's outcome, waiting to be recorded; ``disable`` says why the endpoint is
    to be disabled with it."""

    delivery: Delivery
    result: DeliveryResult
    disable: str | None = None


class Deliverer:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        transport: WebhookTransport,
        metrics: Metrics,
        config: DelivererConfig,
        *,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.uow = uow
        self.transport = transport
        self.metrics = metrics
        self.config = config
        self.clock = clock
        self.jitter = jitter
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._in_flight: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._settled: list[_Attempt] = []
        self._gauged: set[int] = set()
        self._queued: dict[int, deque[tuple[Endpoint, Delivery, float]]] = {}
        """Claimed deliveries waiting for a free slot of their endpoint, each with the end
        of its lease."""
        self._running = False
        self._untried: list[tuple[int, str]] = []
        """Claimed ahead, never tried, not yet given back: their lease ran too short while
        they waited, or the loop stopped."""
        self._lease_needed = min(config.timeout + LEASE_MARGIN, config.lease_seconds / 2)

    def wake(self) -> None:
        """Something was announced: look for due deliveries now, not at the next tick."""
        self._wake.set()

    # -- one pass (tests, the bench) ---------------------------------------------------------

    async def deliver_due(self) -> int:
        """Claim what is due for each endpoint (up to its free slots), send it, record the
        outcomes; how many were attempted."""
        started = await self._claim_round()
        await asyncio.gather(*started)
        await self.flush()
        return len(started)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver until cancelled: claim whenever an endpoint has a free slot and something
        is due (woken by an announcement, a finished attempt, or the tick), send each
        delivery in its own task, write outcomes in batches, and count what is pending. A
        store that fails stops the loop for the worker to start it again once it answers:
        the attempts in flight end first and their answers are kept for then. Cancelled,
        it drops the attempts in flight (they go again when their leases run out). Either
        way, those claimed ahead and never started are given back for the next claimer."""

        async def claimer() -> None:
            while True:
                self._wake.clear()
                if await self._claim_round(ahead=self.config.ahead):
                    # let a few more slots come free, so that a round claims several
                    await asyncio.sleep(self.config.claim_pause)
                    continue
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.poll_interval):
                        await self._wake.wait()

        async def flusher() -> None:
            while True:
                await asyncio.sleep(self.config.flush_interval)
                await self.flush()  # (on failure the outcomes are kept for the next try)
                await self._give_back()  # those whose lease ran too short to be tried

        async def gauge() -> None:
            while True:
                await self.count_pending()
                await asyncio.sleep(self.config.gauge_interval)

        if self._untried:  # what the last stop could not give back (the store was out)
            async with self.uow() as tx:
                await tx.webhooks.release(self.owner, self._untried, now=self.clock())
            self._untried = []
        self._running = True
        cancelled = False
        try:
            await until_one_fails(claimer(), flusher(), gauge())
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            self._running = False
            self._untried += [
                (endpoint.id, delivery.event.id)
                for queue in self._queued.values()
                for endpoint, delivery, _until in queue
            ]
            self._queued.clear()
            if not cancelled and self._tasks:
                # The store failed, not the endpoints: the attempts in flight end within
                # their timeout, and their answers, kept, are recorded once it is back
                # (sent again instead, they would reach the site twice).
                await asyncio.wait(list(self._tasks), timeout=self.config.timeout)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.flush()  # record what was answered before stopping
            await self._give_back()

    async def _give_back(self) -> None:
        """Best effort: release the deliveries claimed ahead and never tried, so the next
        claimer takes them at once; should the store not answer (soon), this deliverer tries
        again when it starts again, or they wait for their leases to end. Those in flight
        when the loop stopped may have reached their endpoint: they wait for their leases."""
        if not self._untried:
            return
        try:
            async with asyncio.timeout(LEASE_MARGIN):
                async with self.uow() as tx:
                    await tx.webhooks.release(self.owner, self._untried, now=self.clock())
        except Exception as error:
            log.info(
                "%d claimed deliveries not given back yet (%s)",
                len(self._untried),
                type(error).__name__,
            )
        else:
            self._untried = []

    async def _claim_round(self, *, ahead: int = 0) -> list[asyncio.Task[None]]:
        """Claim due deliveries for every endpoint with room, and start them once the claim
        has committed (the leases are ours only then): as many as it has free slots, and up
        to ``ahead`` times ``concurrency`` more, queued here for the slots as they free up;
        the tasks started."""
        now = self.clock()
        claimed: list[tuple[Endpoint, list[Delivery]]] = []
        async with self.uow() as tx:
            for endpoint_id in await tx.webhooks.due_endpoints(now=now):
                held = self._in_flight[endpoint_id] + len(self._queued.get(endpoint_id, ()))
                room = self.config.concurrency * (1 + ahead) - held
                if room <= 0:
                    continue
                endpoint = await tx.webhooks.endpoint(endpoint_id)
                if endpoint is None or not endpoint.enabled:
                    continue
                if self._failing_too_long(endpoint, now):
                    await _disable(tx, endpoint.id, self._failing_reason())
                    continue
                deliveries = await tx.webhooks.claim(
                    endpoint_id,
                    owner=self.owner,
                    now=now,
                    lease=self.config.lease_seconds,
                    limit=room,
                    order_hold=self.config.order_hold,
                )
                if deliveries:
                    claimed.append((endpoint, deliveries))
        started: list[asyncio.Task[None]] = []
        until = now + self.config.lease_seconds
        for endpoint, deliveries in claimed:
            queue = self._queued.setdefault(endpoint.id, deque())
            queue.extend((endpoint, delivery, until) for delivery in deliveries)
            started += self._start_queued(endpoint.id)
        return started

    def _start_queued(self, endpoint_id: int) -> list[asyncio.Task[None]]:
        """Start what waits for the endpoint, as far as its free slots go. A delivery whose
        lease would run out during its attempt is dropped instead: once the lease ends it is
        someone's to claim, and must not be sent from here as well: it is given back, for
        the next claim (ours, most likely) to take on a fresh lease."""
        started: list[asyncio.Task[None]] = []
        queue = self._queued.get(endpoint_id)
        while queue and self._in_flight[endpoint_id] < self.config.concurrency:
            endpoint, delivery, until = queue.popleft()
            if until - self.clock() < self._lease_needed:
                self._untried.append((endpoint.id, delivery.event.id))
                continue
            started.append(self._start(endpoint, delivery))
        if not queue:
            self._queued.pop(endpoint_id, None)
        return started

    def _start(self, endpoint: Endpoint, delivery: Delivery) -> asyncio.Task[None]:
        self._in_flight[endpoint.id] += 1
        task = asyncio.create_task(self._attempt_and_keep(endpoint, delivery))
        self._tasks.add(task)

        def finished(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._in_flight[endpoint.id] -= 1
            if self._in_flight[endpoint.id] <= 0:
                del self._in_flight[endpoint.id]
            if self._running:
                self._start_queued(endpoint.id)  # the next one, with no claim between
            if len(self._queued.get(endpoint.id, ())) < self.config.concurrency:
                self._wake.set()  # claim more before the slots run dry

        task.add_done_callback(finished)
        return task

    async def _attempt_and_keep(self, endpoint: Endpoint, delivery: Delivery) -> None:
        done = await self.attempt(endpoint, delivery)
        self._settled.append(done)  # after the await: flush swaps the list meanwhile

    def _failing_too_long(self, endpoint: Endpoint, now: float) -> bool:
        since = endpoint.failing_since
        return since is not None and now - since > self.config.disable_after

    def _failing_reason(self) -> str:
        return f"failing for more than {_span(self.config.disable_after)}"

    # -- one attempt -------------------------------------------------------------------------

    def headers(self, endpoint: Endpoint, event_id: str, now: float, body: str) -> dict[str, str]:
        """Standard Webhooks' headers: one signature per secret the endpoint signs with
        (two while a rotated-out secret is in its grace period)."""
        timestamp = int(now)
        moment = datetime.fromtimestamp(timestamp, UTC)
        signatures = [
            Webhook(secret).sign(event_id, moment, body) for secret in endpoint.signing_secrets(now)
        ]
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signatures),
            "Content-Type": "application/json",
        }

    async def attempt(self, endpoint: Endpoint, delivery: Delivery) -> _Attempt:
        """Send one claimed delivery; what became of it (recorded by ``flush``)."""
        event = delivery.event
        body = body_of(event)
        headers = self.headers(endpoint, event.id, self.clock(), body)
        status: int | None = None
        retry_after: float | None = None
        error: str | None = None
        try:
            answer = await self.transport.post(
                endpoint.url, body.encode(), headers, timeout=self.config.timeout
            )
        except EndpointUnreachable as unreachable:
            error = unreachable.reason
        except Exception as unexpected:  # a bug must not stall the others: tried again
            log.exception("delivering %s to endpoint %s failed unexpectedly", event.id, endpoint.id)
            error = f"unexpected {type(unexpected).__name__}"
        else:
            status, retry_after = answer.status, answer.retry_after
        self.metrics.webhook_attempts.labels(_answer_class(status)).inc()
        now = self.clock()
        outcome = outcome_of(status)
        if outcome == "delivered":
            return _Attempt(
                delivery, DeliveryResult(endpoint.id, event.id, "delivered", now, status=status)
            )
        if outcome == "gone":
            failed = DeliveryResult(endpoint.id, event.id, "failed", now, status=status, error=GONE)
            return _Attempt(delivery, failed, disable=GONE)
        again = next_attempt_at(
            self.config.schedule,
            delivery.attempts + 1,
            now,
            retry_after=retry_after,
            jitter=self.jitter(),
        )
        if again is None:
            return _Attempt(
                delivery,
                DeliveryResult(endpoint.id, event.id, "failed", now, status=status, error=error),
            )
        return _Attempt(
            delivery,
            DeliveryResult(
                endpoint.id,
                event.id,
                "pending",
                now,
                status=status,
                error=error,
                available_at=again,
            ),
        )

    # -- records -----------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write the outcomes gathered so far, in one transaction, and disable the endpoints
        that asked for it."""
        if not self._settled:
            return
        batch, self._settled = self._settled, []
        try:
            async with self.uow() as tx:
                recorded = await tx.webhooks.settle(
                    [attempt.result for attempt in batch], owner=self.owner, now=self.clock()
                )
                for endpoint_id, reason in {
                    a.result.endpoint_id: a.disable for a in batch if a.disable
                }.items():
                    await _disable(tx, endpoint_id, reason)
        except BaseException:
            self._settled[:0] = batch
            raise
        self._count(batch, recorded)
        if recorded:
            self._wake.set()  # deliveries held for the order may go now

    def _count(self, batch: Sequence[_Attempt], recorded: Sequence[DeliveryResult]) -> None:
        occurred = {
            (a.result.endpoint_id, a.delivery.event.id): a.delivery.event.occurred_at for a in batch
        }
        for result in recorded:
            if result.state == "delivered":
                self.metrics.webhook_deliveries.labels("delivered").inc()
                began = occurred.get((result.endpoint_id, result.event_id))
                if began is not None:
                    self.metrics.webhook_latency.observe(max(0.0, result.at - began))
            elif result.state == "pending":
                self.metrics.webhook_deliveries.labels("retry").inc()
            elif result.status == 410:
                self.metrics.webhook_deliveries.labels("gone").inc()
            else:
                self.metrics.webhook_deliveries.labels("failed").inc()

    async def count_pending(self) -> dict[int, int]:
        """Pending deliveries per endpoint, read and set on the gauge; an endpoint that has
        none left reads 0."""
        async with self.uow() as tx:
            counts = await tx.webhooks.pending_counts()
        for endpoint_id in self._gauged - counts.keys():
            self.metrics.webhook_pending.labels(str(endpoint_id)).set(0)
        for endpoint_id, count in counts.items():
            self.metrics.webhook_pending.labels(str(endpoint_id)).set(count)
        self._gauged = set(counts)
        return counts


async def _disable(tx: UnitOfWork, endpoint_id: int, reason: str) -> None:
    endpoint = await tx.webhooks.endpoint(endpoint_id)
    if endpoint is None or not endpoint.enabled:
        return
    await tx.webhooks.save_endpoint(
        dataclasses.replace(endpoint, enabled=False, disabled_reason=reason)
    )
    log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)


def _answer_class(status: int | None) -> str:
    """``2xx`` … ``5xx``, or ``none`` when no answer came."""
    return "none" if status is None else f"{status // 100}xx"


def _span(seconds: float) -> str:
    """``5 days``, ``2 hours``, ``30 seconds``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("second", 1)):
        if seconds >= size or unit == "second":
            count = seconds / size
            return f"{count:g} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")
