"""The site's event endpoints: add, list, change, delete, rotate the secret, send a test,
and see and retry deliveries (the site API, the command line and the staff pages)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

from tgpass.domain.webhooks import Delivery, Endpoint, Event, checked_types, checked_url
from tgpass.errors import InvalidInput, NotFound
from tgpass.service.ports import UNSET
from tgpass.service.uow import UnitOfWork, UnitOfWorkFactory

from .announcer import Announcer, new_event_id

MAX_DESCRIPTION = 200
MAX_ID = 2**62
"""Ids beyond it name no endpoint (and would not fit a database's integer)."""
MAX_LIMIT = 500
PRUNE_BATCH = 1000
"""Events forgotten per transaction: a short one each, not one that holds the writer long."""
PRUNE_INTERVAL = 3600.0

log = logging.getLogger("tgpass.webhooks")


def new_secret() -> str:
    """``whsec_`` and 24 random bytes in base64, as Standard Webhooks' libraries read it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        announcer: Announcer,
        *,
        allow_private_urls: bool = False,
        secret_grace: float = 86400.0,
        retention: float = 30 * 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.announcer = announcer
        self.allow_private_urls = allow_private_urls
        self.secret_grace = secret_grace
        self.retention = retention
        self.clock = clock

    def _url(self, url: str) -> str:
        return checked_url(url, allow_private=self.allow_private_urls)

    async def add(
        self, url: str, events: Sequence[str] | None = None, *, description: str = ""
    ) -> Endpoint:
        """A new endpoint with its own secret (the answer is the only place it is shown)."""
        checked = self._url(url)
        types = checked_types(events)
        async with self.uow() as tx:
            return await tx.webhooks.add_endpoint(
                checked,
                types,
                secret=new_secret(),
                description=_description(description),
                now=self.clock(),
            )

    async def endpoints(self) -> list[Endpoint]:
        async with self.uow() as tx:
            return await tx.webhooks.endpoints()

    async def get(self, endpoint_id: int) -> Endpoint:
        async with self.uow() as tx:
            return await _endpoint(tx, endpoint_id)

    async def update(
        self,
        endpoint_id: int,
        *,
        url: Any = UNSET,
        events: Any = UNSET,
        description: Any = UNSET,
        enabled: Any = UNSET,
    ) -> Endpoint:
        """Change what is given; enabling an endpoint forgets why it was disabled and when
        its failures began."""
        changes: dict[str, Any] = {}
        if url is not UNSET:
            changes["url"] = self._url(url)
        if events is not UNSET:
            changes["events"] = checked_types(events)
        if description is not UNSET:
            changes["description"] = _description(description)
        if enabled is not UNSET and not isinstance(enabled, bool):
            raise InvalidInput("enabled is true or false", field="enabled")
        async with self.uow() as tx:
            endpoint = await _endpoint(tx, endpoint_id)
            if enabled is not UNSET:
                changes["enabled"] = enabled
                if enabled:
                    changes.update(disabled_reason=None, failing_since=None)
                elif endpoint.enabled:
                    changes["disabled_reason"] = "disabled by the site"
            updated = dataclasses.replace(endpoint, **changes)
            await tx.webhooks.save_endpoint(updated)
            return updated

    async def delete(self, endpoint_id: int) -> None:
        async with self.uow() as tx:
            if not _valid_id(endpoint_id) or not await tx.webhooks.delete_endpoint(endpoint_id):
                raise NotFound(
                    "no webhook endpoint {endpoint_id}", values={"endpoint_id": endpoint_id}
                )

    async def rotate_secret(self, endpoint_id: int) -> Endpoint:
        """A new secret; the old one keeps signing beside it for the grace period."""
        now = self.clock()
        async with self.uow() as tx:
            endpoint = await _endpoint(tx, endpoint_id)
            rotated = dataclasses.replace(
                endpoint,
                secret=new_secret(),
                previous_secret=endpoint.secret,
                previous_secret_until=now + self.secret_grace,
            )
            await tx.webhooks.save_endpoint(rotated)
            return rotated

    async def test(self, endpoint_id: int) -> Event:
        """A ``webhook.test`` event to this endpoint alone, sent at once."""
        now = self.clock()
        async with self.uow() as tx:
            endpoint = await _endpoint(tx, endpoint_id)
            event = Event(new_event_id(), "webhook.test", now, {"endpoint_id": endpoint.id})
            await tx.webhooks.record(event, now=now, endpoint_ids=[endpoint.id])
            if self.announcer.wake is not None:
                tx.after_commit(self.announcer.wake)
            return event

    async def deliveries(self, endpoint_id: int, *, limit: int = 50) -> list[Delivery]:
        async with self.uow() as tx:
            await _endpoint(tx, endpoint_id)
            return await tx.webhooks.deliveries(endpoint_id, limit=max(1, min(limit, MAX_LIMIT)))

    async def pending_counts(self) -> dict[int, int]:
        """Deliveries still to go, by endpoint id (an endpoint with none is left out)."""
        async with self.uow() as tx:
            return await tx.webhooks.pending_counts()

    async def retry(self, endpoint_id: int, event_id: str) -> None:
        """Send one delivery again, now, whatever became of it."""
        async with self.uow() as tx:
            found = _valid_id(endpoint_id) and await tx.webhooks.retry(
                endpoint_id, event_id[:64], now=self.clock()
            )
            if not found:
                raise NotFound(
                    "no delivery of {event_id} to endpoint {endpoint_id}",
                    values={"event_id": repr(event_id[:64]), "endpoint_id": endpoint_id},
                )
            if self.announcer.wake is not None:
                tx.after_commit(self.announcer.wake)

    async def prune(self) -> int:
        """Forget the events older than the retention that are done with (delivered or
        failed to every endpoint), a batch per transaction; how many went."""
        before = self.clock() - self.retention
        forgotten = 0
        while True:
            async with self.uow() as tx:
                batch = await tx.webhooks.prune(before=before, limit=PRUNE_BATCH)
            forgotten += batch
            if batch < PRUNE_BATCH:
                return forgotten

    async def prune_every(self, interval: float = PRUNE_INTERVAL) -> None:
        """Prune now and every ``interval`` seconds, until cancelled: the worker's loop."""
        while True:
            if forgotten := await self.prune():
                log.info("forgot %d delivered or failed events older than the retention", forgotten)
            await asyncio.sleep(interval)


def _description(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            "a description is text of at most {most} characters",
            field="description",
            values={"most": MAX_DESCRIPTION},
        )
    return text


def _valid_id(endpoint_id: int) -> bool:
    return isinstance(endpoint_id, int) and 1 <= endpoint_id <= MAX_ID


async def _endpoint(tx: UnitOfWork, endpoint_id: int) -> Endpoint:
    found = await tx.webhooks.endpoint(endpoint_id) if _valid_id(endpoint_id) else None
    if found is None:
        raise NotFound("no webhook endpoint {endpoint_id}", values={"endpoint_id": endpoint_id})
    return found
