"""The outbox sender: claims due messages, sends each under Telegram's flood limits, and
records what became of it. Any number of senders, in any number of processes, share one
outbox: a claimed row is leased to one of them.

Exactly-once delivery to Telegram is impossible across a crash between "Telegram accepted
it" and "we recorded that": such a row is sent again when its lease runs out. Outcomes are
recorded every few milliseconds, so duplicates are limited to the rows in flight then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tgpass.domain.delivery import OutboxItem, RetryPolicy, Settlement, settle
from tgpass.domain.pacing import limits_for
from tgpass.errors import TelegramError, TelegramRateLimited
from tgpass.service.events import AccountChanged, AccountEvents
from tgpass.service.metrics import Metrics
from tgpass.service.pacing import Pacer
from tgpass.service.ports import Messenger
from tgpass.service.uow import UnitOfWork, UnitOfWorkFactory
from tgpass.service.webhooks.notification_events import NotificationAnnouncements
from tgpass.service.worker import until_one_fails

log = logging.getLogger("tgpass.sender")


@dataclass(frozen=True, slots=True)
class SenderConfig:
    bot_rate: float = 30.0
    chat_rate: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    paid: bool = False
    lease: float = 60.0
    concurrency: int = 64
    poll_interval: float = 1.0
    flush_interval: float = 0.02
    send_timeout: float = 25.0  # the longest a sendMessage call takes (the client's timeouts)

    @property
    def horizon(self) -> float:
        """Seconds of sends, reserved by every worker together, past which none claims more."""
        return min(2.0, self.lease / 4)

    @property
    def lease_margin(self) -> float:
        """A row is sent only while this much of its lease is left."""
        return min(self.send_timeout, self.lease / 2)

    @property
    def batch(self) -> int:
        # Claim about two seconds of work at a time: well inside the lease.
        return max(1, min(500, int(self.bot_rate * 2)))


class Sender:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messenger: Messenger,
        pacer: Pacer,
        metrics: Metrics,
        config: SenderConfig,
        *,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        events: AccountEvents | None = None,
        announcements: NotificationAnnouncements | None = None,
    ) -> None:
        self.uow = uow
        self.events = events
        """Told when a user turns out to have blocked the bot."""
        self.announcements = announcements
        """Tells the site what became of its notifications."""
        self.messenger = messenger
        self.pacer = pacer
        self.metrics = metrics
        self.config = config
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.owner = f"sender-{secrets.token_hex(6)}"
        self._wake = asyncio.Event()
        self._sent_ok = metrics.sends.labels("ok")  # children looked up once: the hot path
        self._latency = metrics.send_latency
        self._settled: list[tuple[OutboxItem, Settlement]] = []

    def wake(self) -> None:
        """New work was committed: look now rather than at the next poll."""
        self._wake.set()

    # -- one batch (tests, the CLI, and the fast path of the bot's replies) -------------------

    async def send_due(
        self, *, ids: Sequence[int] = (), limit: int | None = None, max_wait: float | None = None
    ) -> int:
        """Claim due rows (or just ``ids``), send them, record the outcomes; how many. With
        ``max_wait``, a row the flood limits would hold longer is left to the worker."""
        items = await self._claim(limit or self.config.batch, ids)
        if not items:
            await self.flush()
            return 0
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(item: OutboxItem) -> None:
            async with gate:
                await self._deliver_and_keep(item, max_wait)

        await asyncio.gather(*(one(item) for item in items))
        await self.flush()
        return len(items)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Send until cancelled: claims keep a small queue full, ``concurrency`` tasks send
        from it, outcomes are written in batches. A store that fails (the database, the
        pacer's Redis) stops the whole loop, rows it holds given back, for the worker to
        start it again once the store answers."""
        queue: asyncio.Queue[OutboxItem] = asyncio.Queue()
        in_flight = 0

        async def worker() -> None:
            nonlocal in_flight
            while True:
                item = await queue.get()
                in_flight += 1
                try:
                    await self._deliver_and_keep(item, None)
                finally:
                    in_flight -= 1

        async def flusher() -> None:
            while True:
                await asyncio.sleep(self.config.flush_interval)
                await self.flush()  # (on failure the outcomes are kept for the next try)

        async def claimer() -> None:
            while True:
                if (
                    queue.qsize() + in_flight >= self.config.batch
                    or await self.pacer.backlog() > self.config.horizon
                ):
                    await asyncio.sleep(0.01)  # enough claimed, here or by other workers
                    continue
                items = await self._claim(self.config.batch)
                for item in items:
                    queue.put_nowait(item)
                if not items:
                    self._wake.clear()
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.config.poll_interval):
                            await self._wake.wait()

        workers = [worker() for _ in range(self.config.concurrency)]
        try:
            await until_one_fails(*workers, flusher(), claimer())
        finally:
            while not queue.empty():  # claimed, never tried: free to go at once
                self._give_back(queue.get_nowait())
            with contextlib.suppress(Exception):
                await self.flush()  # record what was sent before stopping

    async def _claim(self, limit: int, ids: Sequence[int] = ()) -> list[OutboxItem]:
        async with self.uow() as tx:
            return await tx.outbox.claim(
                owner=self.owner, now=self.clock(), lease=self.config.lease, limit=limit, ids=ids
            )

    async def _deliver_and_keep(self, item: OutboxItem, max_wait: float | None) -> None:
        try:
            done = await self.deliver(item, max_wait=max_wait)
        except Exception:  # the pacer's store failed before the send: not sent
            self._give_back(item)
            raise
        self._settled.append((item, done))  # after the await: flush swaps the list meanwhile

    def _give_back(self, item: OutboxItem) -> None:
        """A claimed row that was not sent is due again now, not when its lease runs out."""
        self._settled.append((item, Settlement(item.id, "queued", False, None, self.clock())))

    # -- one message ------------------------------------------------------------------------

    async def deliver(self, item: OutboxItem, *, max_wait: float | None = None) -> Settlement:
        """Send one claimed row when the limits allow; what became of it."""
        if self.clock() > item.deadline:
            return Settlement(item.id, "failed", False, "expired before it could be sent")
        # A slot only inside our lease: when it ends, another worker may take the row, so it
        # must not go out from here after that.
        within_lease = item.available_at - self.clock() - self.config.lease_margin
        limit = within_lease if max_wait is None else min(max_wait, within_lease)
        held = await self._wait_turn(item.chat_id, max(0.0, limit))
        if held:
            return Settlement(item.id, "queued", False, None, self.clock() + min(held, 1.0))
        started = time.perf_counter()
        outcome: int | Exception
        try:
            outcome = await self.messenger.send(item.chat_id, item.message, paid=self.config.paid)
        except TelegramRateLimited as flood:
            await self.pacer.pause(flood.retry_after)
            self.metrics.pauses.inc()
            self.metrics.pause_seconds.inc(flood.retry_after)
            outcome = flood
        except TelegramError as error:
            outcome = error
        except Exception as error:  # a bug must not stall the others: a dead letter
            log.exception("sending outbox row %s failed unexpectedly", item.id)
            outcome = error
        self._latency.observe(time.perf_counter() - started)
        settlement = settle(item, outcome, now=self.clock(), policy=self.policy)
        if settlement.state == "sent":
            self._sent_ok.inc()
        else:
            self.metrics.sends.labels(type(outcome).__name__).inc()
        return settlement

    async def _wait_turn(self, chat_id: int, max_wait: float) -> float:
        """Wait for the slot the flood limits give this chat; or, when that is longer than
        ``max_wait``, reserve nothing and return how long it would be (0.0: go)."""
        limits = limits_for(
            chat_id,
            bot_rate=self.config.bot_rate,
            chat_rate=self.config.chat_rate,
            chat_burst=self.config.chat_burst,
            group_per_minute=self.config.group_per_minute,
        )
        return await self.pacer.take_turn(limits, max_wait=max_wait)

    async def flush(self) -> None:
        """Write the outcomes gathered so far, in one transaction."""
        if not self._settled:
            return
        batch, self._settled = self._settled, []
        try:
            async with self.uow() as tx:
                now = self.clock()
                applied = await tx.outbox.settle([s for _, s in batch], owner=self.owner, now=now)
                # Only what was recorded is acted on: a row whose lease ran out is its new
                # claimer's, who sends it and tells what became of it.
                kept = {s.item_id: s for s in applied}
                recorded = [(item, done) for item, done in batch if kept.get(item.id) is done]
                for item, done in recorded:
                    if done.state == "unreachable" and item.chat_id > 0:
                        # a private chat's id is the user's: they blocked the bot or left
                        await self._blocked(tx, item.chat_id)
                if self.announcements is not None:
                    await self.announcements.settled(tx, recorded, now=now)
        except BaseException:
            self._settled[:0] = batch
            raise

    async def _blocked(self, tx: UnitOfWork, telegram_id: int) -> None:
        link = await tx.accounts.telegram_link(telegram_id=telegram_id)
        await tx.accounts.update_telegram(telegram_id, bot_blocked=True)
        if link is not None and not link.bot_blocked and self.events is not None:
            await self.events.publish(tx, AccountChanged(link.user_id, "bot_blocked"))
