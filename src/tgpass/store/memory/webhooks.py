"""Event webhooks in memory: endpoints, events and each event's delivery to each endpoint,
inside a ``MemoryUnitOfWork`` (which holds the database's lock): the same contract as SQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from tgpass.domain.webhooks import Delivery, DeliveryResult, Endpoint, Event
from tgpass.service.uow import WebhookRepository

from .database import MemoryDatabase

MAX_ERROR = 500
MAX_REASON = 255


class MemoryWebhooks(WebhookRepository):
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def add_endpoint(
        self, url: str, events: Sequence[str], *, secret: str, description: str, now: float
    ) -> Endpoint:
        t = self.db.tables
        t.last_webhook_endpoint_id += 1
        endpoint = Endpoint(
            id=t.last_webhook_endpoint_id,
            url=url,
            events=tuple(events),
            secret=secret,
            created_at=now,
            description=description,
        )
        t.webhook_endpoints[endpoint.id] = endpoint
        return endpoint

    async def endpoint(self, endpoint_id: int) -> Endpoint | None:
        return self.db.tables.webhook_endpoints.get(endpoint_id)

    async def endpoints(self) -> list[Endpoint]:
        return [e for _, e in sorted(self.db.tables.webhook_endpoints.items())]

    async def save_endpoint(self, endpoint: Endpoint) -> None:
        if endpoint.id in self.db.tables.webhook_endpoints:
            reason = endpoint.disabled_reason
            self.db.tables.webhook_endpoints[endpoint.id] = replace(
                endpoint, disabled_reason=None if reason is None else reason[:MAX_REASON]
            )

    async def delete_endpoint(self, endpoint_id: int) -> bool:
        t = self.db.tables
        if t.webhook_endpoints.pop(endpoint_id, None) is None:
            return False
        # what the deliveries' foreign key cascades to in SQL
        for key in [key for key in t.webhook_deliveries if key[0] == endpoint_id]:
            del t.webhook_deliveries[key]
        return True

    async def record(
        self, event: Event, *, now: float, endpoint_ids: Sequence[int] | None = None
    ) -> int:
        t = self.db.tables
        if endpoint_ids is None:
            chosen = [
                e.id for e in t.webhook_endpoints.values() if e.enabled and event.type in e.events
            ]
        else:
            chosen = [i for i in dict.fromkeys(endpoint_ids) if i in t.webhook_endpoints]
        if not chosen:
            return 0  # an event no endpoint hears is not kept: nothing would ever read it
        t.last_webhook_event_id += 1
        number = t.last_webhook_event_id
        t.webhook_events[number] = event
        t.webhook_event_numbers[event.id] = number
        for endpoint_id in chosen:
            t.webhook_deliveries[(endpoint_id, number)] = Delivery(
                endpoint_id=endpoint_id,
                event=event,
                state="pending",
                attempts=0,
                available_at=now,
                created_at=now,
            )
        return len(chosen)

    async def due_endpoints(self, *, now: float) -> list[int]:
        t = self.db.tables
        due = {
            d.endpoint_id
            for d in t.webhook_deliveries.values()
            if d.state == "pending" and d.available_at <= now
        }
        return sorted(i for i in due if t.webhook_endpoints[i].enabled)

    async def claim(
        self,
        endpoint_id: int,
        *,
        owner: str,
        now: float,
        lease: float,
        limit: int,
        order_hold: float,
    ) -> list[Delivery]:
        deliveries = self.db.tables.webhook_deliveries
        pending = sorted(
            (number, d)
            for (endpoint, number), d in deliveries.items()
            if endpoint == endpoint_id and d.state == "pending"
        )
        # Subjects an earlier pending delivery holds: the ones after it wait, unless its
        # failures began more than ``order_hold`` ago. Judged before anything is claimed.
        held: set[str] = set()
        taken: list[Delivery] = []
        for number, d in pending:
            subject = d.event.subject
            waits = subject is not None and subject in held
            if subject is not None and not _let_pass(d, now=now, order_hold=order_hold):
                held.add(subject)
            if waits or d.available_at > now or len(taken) >= limit:
                continue
            claimed = replace(d, available_at=now + lease, lease_owner=owner)
            deliveries[(endpoint_id, number)] = claimed
            taken.append(claimed)
        return taken

    async def settle(
        self, results: Sequence[DeliveryResult], *, owner: str, now: float
    ) -> list[DeliveryResult]:
        t = self.db.tables
        recorded: list[DeliveryResult] = []
        for r in results:
            key = self._key(r.endpoint_id, r.event_id)
            if key is None:
                continue
            d = t.webhook_deliveries[key]
            if d.state != "pending" or d.lease_owner != owner:
                continue
            failed = r.state != "delivered"
            t.webhook_deliveries[key] = replace(
                d,
                state=r.state,
                attempts=d.attempts + 1,
                available_at=r.available_at,
                last_status=r.status,
                last_error=None if r.error is None else r.error[:MAX_ERROR],
                first_failed_at=(
                    (d.first_failed_at if d.first_failed_at is not None else r.at)
                    if failed
                    else d.first_failed_at
                ),
                delivered_at=None if failed else r.at,
                lease_owner=None,
            )
            endpoint = t.webhook_endpoints[r.endpoint_id]
            since = (endpoint.failing_since or r.at) if failed else None
            t.webhook_endpoints[r.endpoint_id] = replace(endpoint, failing_since=since)
            recorded.append(r)
        return recorded

    async def release(
        self, owner: str, deliveries: Sequence[tuple[int, str]], *, now: float
    ) -> int:
        t = self.db.tables
        released = 0
        for endpoint_id, event_id in dict.fromkeys(deliveries):
            key = self._key(endpoint_id, event_id)
            if key is None:
                continue
            d = t.webhook_deliveries[key]
            if d.state != "pending" or d.lease_owner != owner:
                continue
            t.webhook_deliveries[key] = replace(d, available_at=now, lease_owner=None)
            released += 1
        return released

    async def deliveries(self, endpoint_id: int, *, limit: int = 50) -> list[Delivery]:
        found = [
            (number, d)
            for (endpoint, number), d in self.db.tables.webhook_deliveries.items()
            if endpoint == endpoint_id
        ]
        return [d for _, d in sorted(found, key=lambda pair: -pair[0])][:limit]

    async def retry(self, endpoint_id: int, event_id: str, *, now: float) -> bool:
        key = self._key(endpoint_id, event_id)
        if key is None:
            return False
        d = self.db.tables.webhook_deliveries[key]
        self.db.tables.webhook_deliveries[key] = replace(
            d, state="pending", available_at=now, lease_owner=None, delivered_at=None
        )
        return True

    async def pending_counts(self) -> dict[int, int]:
        return dict(
            Counter(
                d.endpoint_id
                for d in self.db.tables.webhook_deliveries.values()
                if d.state == "pending"
            )
        )

    async def prune(self, *, before: float, limit: int) -> int:
        t = self.db.tables
        pending = {
            number for (_, number), d in t.webhook_deliveries.items() if d.state == "pending"
        }
        done = [
            number
            for number, e in sorted(t.webhook_events.items())
            if e.occurred_at < before and number not in pending
        ][:limit]
        for number in done:
            event = t.webhook_events.pop(number)
            del t.webhook_event_numbers[event.id]
        gone = set(done)
        for key in [key for key in t.webhook_deliveries if key[1] in gone]:
            del t.webhook_deliveries[key]
        return len(done)

    def _key(self, endpoint_id: int, event_id: str) -> tuple[int, int] | None:
        number = self.db.tables.webhook_event_numbers.get(event_id)
        key = (endpoint_id, number if number is not None else 0)
        return key if key in self.db.tables.webhook_deliveries else None


def _let_pass(earlier: Delivery, *, now: float, order_hold: float) -> bool:
    """A pending delivery stops holding back later ones about its subject once its failures
    began more than ``order_hold`` ago."""
    began = earlier.first_failed_at
    return began is not None and began < now - order_hold
