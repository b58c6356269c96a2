"""Event webhooks in SQL: endpoints, events, and each event's delivery to each endpoint.
Claiming skips deliveries another worker has locked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's single writer needs no more) and leases those it takes, as the outbox
does, so any number of workers share them and none takes one another holds."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
    values,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tgpass.domain.webhooks import Delivery, DeliveryResult, Endpoint, Event
from tgpass.service.uow import WebhookRepository

from .tables import webhook_deliveries, webhook_endpoints, webhook_events

MAX_ERROR = 500
MAX_REASON = 255

_d = webhook_deliveries
_e = webhook_events
_earlier = webhook_deliveries.alias("earlier")


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        events=tuple(json.loads(row.events)),
        secret=row.secret,
        created_at=row.created_at,
        description=row.description,
        enabled=bool(row.enabled),
        disabled_reason=row.disabled_reason,
        previous_secret=row.previous_secret,
        previous_secret_until=row.previous_secret_until,
        failing_since=row.failing_since,
    )


def _endpoint_values(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "events": json.dumps(list(endpoint.events)),
        "secret": endpoint.secret,
        "previous_secret": endpoint.previous_secret,
        "previous_secret_until": endpoint.previous_secret_until,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": _reason(endpoint.disabled_reason),
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
    }


_DELIVERY = select(
    _d.c.endpoint_id,
    _d.c.event_id,
    _d.c.state,
    _d.c.attempts,
    _d.c.available_at,
    _d.c.created_at,
    _d.c.last_status,
    _d.c.last_error,
    _d.c.first_failed_at,
    _d.c.delivered_at,
    _d.c.lease_owner,
    _e.c.message_id,
    _e.c.type,
    _e.c.occurred_at,
    _e.c.data,
    _e.c.subject,
).join(_e, _e.c.id == _d.c.event_id)


def _reason(text: str | None) -> str | None:
    return None if text is None else text[:MAX_REASON]


def _delivery(row: Any) -> Delivery:
    return Delivery(
        endpoint_id=row.endpoint_id,
        event=Event(row.message_id, row.type, row.occurred_at, json.loads(row.data), row.subject),
        state=row.state,
        attempts=row.attempts,
        available_at=row.available_at,
        created_at=row.created_at,
        last_status=row.last_status,
        last_error=row.last_error,
        first_failed_at=row.first_failed_at,
        delivered_at=row.delivered_at,
        lease_owner=row.lease_owner,
    )


def _outcome(r: DeliveryResult) -> dict[str, Any]:
    """One attempt's outcome as the columns it writes (``failed_at`` only on a failure,
    ``delivered_at`` only on a delivery)."""
    failed = r.state != "delivered"
    return {
        "endpoint_id": r.endpoint_id,
        "message_id": r.event_id,
        "state": r.state,
        "available_at": r.available_at,
        "last_status": r.status,
        "last_error": None if r.error is None else r.error[:MAX_ERROR],
        "failed_at": r.at if failed else None,
        "delivered_at": None if failed else r.at,
    }


def _settled(outcome: Any) -> dict[str, Any]:
    """The delivery's columns from its outcome's (columns or bound parameters by name): one
    more attempt, its lease dropped, and when its failures began kept once set."""
    return {
        "state": outcome["state"],
        "attempts": _d.c.attempts + 1,
        "available_at": outcome["available_at"],
        "last_status": outcome["last_status"],
        "last_error": outcome["last_error"],
        "first_failed_at": func.coalesce(_d.c.first_failed_at, outcome["failed_at"]),
        "delivered_at": outcome["delivered_at"],
        "lease_owner": None,
    }


def _event_number(message_id: str) -> Any:
    return select(_e.c.id).where(_e.c.message_id == message_id).scalar_subquery()


class SqlWebhooks(WebhookRepository):
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add_endpoint(
        self, url: str, events: Sequence[str], *, secret: str, description: str, now: float
    ) -> Endpoint:
        endpoint = Endpoint(
            id=0,
            url=url,
            events=tuple(events),
            secret=secret,
            created_at=now,
            description=description,
        )
        new_id = await self.db.scalar(
            insert(webhook_endpoints)
            .values(**_endpoint_values(endpoint))
            .returning(webhook_endpoints.c.id)
        )
        return dataclasses.replace(endpoint, id=int(new_id))

    async def endpoint(self, endpoint_id: int) -> Endpoint | None:
        row = (
            await self.db.execute(
                select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
            )
        ).one_or_none()
        return None if row is None else _endpoint(row)

    async def endpoints(self) -> list[Endpoint]:
        rows = await self.db.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id))
        return [_endpoint(row) for row in rows]

    async def save_endpoint(self, endpoint: Endpoint) -> None:
        await self.db.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint.id)
            .values(**_endpoint_values(endpoint))
        )

    async def delete_endpoint(self, endpoint_id: int) -> bool:
        # the deliveries go by their foreign key's ON DELETE CASCADE
        done = await self.db.execute(
            delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        )
        return bool(done.rowcount)

    async def record(
        self, event: Event, *, now: float, endpoint_ids: Sequence[int] | None = None
    ) -> int:
        query = select(webhook_endpoints.c.id, webhook_endpoints.c.events)
        if endpoint_ids is None:
            query = query.where(webhook_endpoints.c.enabled.is_(True))
        else:
            query = query.where(webhook_endpoints.c.id.in_(list(endpoint_ids)))
        chosen = [
            row.id
            for row in await self.db.execute(query.order_by(webhook_endpoints.c.id))
            if endpoint_ids is not None or event.type in json.loads(row.events)
        ]
        if not chosen:
            return 0  # an event no endpoint hears is not kept: nothing would ever read it
        number = await self.db.scalar(
            insert(_e)
            .values(
                message_id=event.id,
                type=event.type,
                subject=event.subject,
                data=json.dumps(event.data, ensure_ascii=False, separators=(",", ":")),
                occurred_at=event.occurred_at,
            )
            .returning(_e.c.id)
        )
        await self.db.execute(
            insert(_d),
            [
                {
                    "endpoint_id": endpoint_id,
                    "event_id": number,
                    "subject": event.subject,
                    "state": "pending",
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                }
                for endpoint_id in chosen
            ],
        )
        return len(chosen)

    async def due_endpoints(self, *, now: float) -> list[int]:
        # per endpoint, one probe of its index: a dead endpoint's backlog is not scanned
        due = (
            select(_d.c.endpoint_id)
            .where(
                _d.c.endpoint_id == webhook_endpoints.c.id,
                _d.c.state == "pending",
                _d.c.available_at <= now,
            )
            .exists()
        )
        rows = await self.db.execute(
            select(webhook_endpoints.c.id)
            .where(webhook_endpoints.c.enabled.is_(True), due)
            .order_by(webhook_endpoints.c.id)
        )
        return [int(endpoint_id) for endpoint_id in rows.scalars()]

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
        if limit <= 0:
            return []
        # An earlier pending delivery about the same subject holds this one back, unless its
        # failures began more than ``order_hold`` ago (leased or not: it is not settled).
        held = exists().where(
            _earlier.c.endpoint_id == _d.c.endpoint_id,
            _earlier.c.subject == _d.c.subject,
            _earlier.c.event_id < _d.c.event_id,
            _earlier.c.state == "pending",
            or_(
                _earlier.c.first_failed_at.is_(None),
                _earlier.c.first_failed_at >= now - order_hold,
            ),
        )
        due = [
            _d.c.endpoint_id == endpoint_id,
            _d.c.state == "pending",
            _d.c.available_at <= now,
            ~held,  # a delivery about no subject (NULL) is never held
        ]
        if self.db.dialect.name == "postgresql":
            return await self._lock_and_lease(due, owner=owner, until=now + lease, limit=limit)
        # SQLite: the writer's lock (BEGIN IMMEDIATE) is held already; read, then lease
        rows = (
            await self.db.execute(_DELIVERY.where(*due).order_by(_d.c.event_id).limit(limit))
        ).all()
        if not rows:
            return []
        await self.db.execute(
            update(_d)
            .where(_d.c.endpoint_id == endpoint_id, _d.c.event_id.in_([r.event_id for r in rows]))
            .values(available_at=now + lease, lease_owner=owner)
        )
        return [
            dataclasses.replace(_delivery(row), available_at=now + lease, lease_owner=owner)
            for row in rows
        ]

    async def _lock_and_lease(
        self, due: Sequence[Any], *, owner: str, until: float, limit: int
    ) -> list[Delivery]:
        """One round trip: the rows locked (``SKIP LOCKED``) in a MATERIALIZED common table
        expression, run once, then leased, returning what the claim needs. (As one UPDATE ...
        IN (SELECT ... LIMIT ... FOR UPDATE SKIP LOCKED), PostgreSQL may run the select again
        for each row, skip the rows the update itself just changed, and take more than
        ``limit``.)"""
        picked = (
            select(_d.c.endpoint_id, _d.c.event_id)
            .where(*due)
            .order_by(_d.c.event_id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=_d)
            .cte("picked")
            .prefix_with("MATERIALIZED")
        )
        rows = await self.db.execute(
            update(_d)
            .where(
                _d.c.endpoint_id == picked.c.endpoint_id,
                _d.c.event_id == picked.c.event_id,
                _e.c.id == _d.c.event_id,
            )
            .values(available_at=until, lease_owner=owner)
            .returning(*_DELIVERY.selected_columns)
        )
        return [_delivery(row) for row in sorted(rows, key=lambda row: row.event_id)]

    async def settle(
        self, results: Sequence[DeliveryResult], *, owner: str, now: float
    ) -> list[DeliveryResult]:
        # one statement per batch, not one per result: the flush runs every few milliseconds
        first: dict[tuple[int, str], DeliveryResult] = {}
        for r in results:  # a repeat finds the lease already gone, as the first cleared it
            first.setdefault((r.endpoint_id, r.event_id), r)
        if not first:
            return []
        if self.db.dialect.name == "postgresql":
            applied = await self._settle_from_values(list(first.values()), owner=owner)
        else:
            applied = await self._settle_each(list(first.values()), owner=owner)
        recorded = [r for key, r in first.items() if key in applied]
        await self._failing_since(recorded)
        return recorded

    async def _settle_from_values(
        self, results: Sequence[DeliveryResult], *, owner: str
    ) -> set[tuple[int, str]]:
        """``UPDATE … FROM (VALUES …) RETURNING``: the batch in one round trip."""
        v = values(
            column("endpoint_id", BigInteger),
            column("message_id", String),
            column("state", String),
            column("available_at", Float),
            column("last_status", Integer),
            column("last_error", String),
            column("failed_at", Float),
            column("delivered_at", Float),
            name="outcome",
        ).data([tuple(_outcome(r).values()) for r in results])
        rows = await self.db.execute(
            update(_d)
            .where(
                _d.c.endpoint_id == v.c.endpoint_id,
                _e.c.message_id == v.c.message_id,
                _d.c.event_id == _e.c.id,
                _d.c.state == "pending",
                _d.c.lease_owner == owner,
            )
            # cast: a column of NULLs only would be text to PostgreSQL
            .values(_settled({c.name: cast(c, c.type) for c in v.c}))
            .returning(_d.c.endpoint_id, v.c.message_id)
        )
        return {(int(row.endpoint_id), row.message_id) for row in rows}

    async def _settle_each(
        self, results: Sequence[DeliveryResult], *, owner: str
    ) -> set[tuple[int, str]]:
        """SQLite: the rows the owner still leases, read under the writer's lock (BEGIN
        IMMEDIATE), then one prepared UPDATE run for each of them."""
        rows = await self.db.execute(
            select(_d.c.endpoint_id, _d.c.event_id, _e.c.message_id)
            .join(_e, _e.c.id == _d.c.event_id)
            .where(
                _e.c.message_id.in_({r.event_id for r in results}),
                _d.c.state == "pending",
                _d.c.lease_owner == owner,
            )
        )
        numbers = {(int(row.endpoint_id), row.message_id): row.event_id for row in rows}
        # the parameters' names must not be the columns' own (SQLAlchemy keeps those)
        params = [
            {
                f"o_{name}": value
                for name, value in {
                    **_outcome(r),
                    "event_number": numbers[r.endpoint_id, r.event_id],
                }.items()
            }
            for r in results
            if (r.endpoint_id, r.event_id) in numbers
        ]
        if params:
            p: dict[str, Any] = {name[2:]: bindparam(name) for name in params[0]}
            await self.db.execute(
                update(_d)
                .where(
                    _d.c.endpoint_id == p["endpoint_id"],
                    _d.c.event_id == p["event_number"],
                    _d.c.state == "pending",
                    _d.c.lease_owner == owner,
                )
                .values(_settled(p)),
                params,
            )
        return set(numbers)

    async def _failing_since(self, recorded: Sequence[DeliveryResult]) -> None:
        """On each endpoint, when its failures began: set by the first failure, cleared by
        a delivery; the results taken in the order given."""
        cleared: dict[int, bool] = {}
        began: dict[int, float | None] = {}
        for r in recorded:
            if r.state == "delivered":
                cleared[r.endpoint_id], began[r.endpoint_id] = True, None
            elif began.get(r.endpoint_id) is None:
                cleared.setdefault(r.endpoint_id, False)
                began[r.endpoint_id] = r.at
        column = webhook_endpoints.c.failing_since
        for endpoint_id, at in began.items():
            since: Any = at if cleared[endpoint_id] else func.coalesce(column, at)
            await self.db.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(failing_since=since)
            )

    async def release(
        self, owner: str, deliveries: Sequence[tuple[int, str]], *, now: float
    ) -> int:
        by_endpoint: dict[int, set[str]] = {}
        for endpoint_id, event_id in deliveries:
            by_endpoint.setdefault(endpoint_id, set()).add(event_id)
        released = 0
        for endpoint_id, event_ids in sorted(by_endpoint.items()):  # one statement each
            done = await self.db.execute(
                update(_d)
                .where(
                    _d.c.endpoint_id == endpoint_id,
                    _d.c.event_id.in_(select(_e.c.id).where(_e.c.message_id.in_(event_ids))),
                    _d.c.state == "pending",
                    _d.c.lease_owner == owner,
                )
                .values(available_at=now, lease_owner=None)
            )
            released += done.rowcount
        return released

    async def deliveries(self, endpoint_id: int, *, limit: int = 50) -> list[Delivery]:
        rows = await self.db.execute(
            _DELIVERY.where(_d.c.endpoint_id == endpoint_id)
            .order_by(_d.c.event_id.desc())
            .limit(limit)
        )
        return [_delivery(row) for row in rows]

    async def retry(self, endpoint_id: int, event_id: str, *, now: float) -> bool:
        done = await self.db.execute(
            update(_d)
            .where(_d.c.endpoint_id == endpoint_id, _d.c.event_id == _event_number(event_id))
            .values(state="pending", available_at=now, lease_owner=None, delivered_at=None)
        )
        return bool(done.rowcount)

    async def prune(self, *, before: float, limit: int) -> int:
        still_pending = exists().where(_d.c.event_id == _e.c.id, _d.c.state == "pending")
        done = list(
            (
                await self.db.execute(
                    select(_e.c.id)
                    .where(_e.c.occurred_at < before, ~still_pending)
                    .order_by(_e.c.id)
                    .limit(limit)
                )
            ).scalars()
        )
        if done:
            # deliveries first: SQLite may run without its foreign keys' cascade
            await self.db.execute(delete(_d).where(_d.c.event_id.in_(done)))
            await self.db.execute(delete(_e).where(_e.c.id.in_(done)))
        return len(done)

    async def pending_counts(self) -> dict[int, int]:
        rows = await self.db.execute(
            select(_d.c.endpoint_id, func.count())
            .where(_d.c.state == "pending")
            .group_by(_d.c.endpoint_id)
        )
        return {int(endpoint_id): int(n) for endpoint_id, n in rows}
