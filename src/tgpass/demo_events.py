"""The demo's own receiver of events, so a newcomer sees every event arrive while walking
the demo: ``POST /demo/events/receive`` takes the service's deliveries as a site would
(verified with the ``standardwebhooks`` library, each ``webhook-id`` applied once), and
``GET /demo/events`` shows the latest ones, newest first, polling ``GET /demo/events.json``.

Mounted on the site's app by the demo alone (``tgpass demo``); the service never serves it.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from .domain.webhooks import Endpoint
from .errors import NotFound
from .service.webhooks import WebhookService
from .web import deps
from .web.rendering import render

RECEIVE_PATH = "/demo/events/receive"
PAGE_PATH = "/demo/events"
DESCRIPTION = "the demo's events page"
"""How the demo knows its own endpoint again (with the path) after a move to another port."""
KEPT = 200
"""Events shown; older ones are forgotten (the service's deliveries still list them)."""
REMEMBERED_IDS = 10 * KEPT
"""``webhook-id``s kept to skip a retry of one already shown."""


@dataclass(frozen=True)
class Received:
    """One event as it arrived: its ``webhook-id``, its body, and when it came."""

    id: str
    type: str
    timestamp: str
    """When it happened (the body's RFC 3339 ``timestamp``)."""
    received_at: float
    data: dict[str, Any]


SecretOf = Callable[[], Awaitable[str | None]]
"""The endpoint's current secret (None: the endpoint is gone)."""


class EventBoard:
    """The deliveries taken, the latest ``kept``, each event once."""

    def __init__(
        self, secret: SecretOf, *, kept: int = KEPT, clock: Callable[[], float] = time.time
    ) -> None:
        self.secret = secret
        self.clock = clock
        self.kept = kept
        self._events: deque[Received] = deque(maxlen=kept)
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def take(self, body: bytes, headers: Mapping[str, str]) -> int:
        """The status to answer a delivery with: 400 unless it verifies, 204 once taken (a
        retry of an event already taken too, without showing it twice)."""
        # the secret is read at each delivery: a rotation on the staff page keeps it working
        secret = await self.secret()
        if secret is None:
            return 400
        named = {name.lower(): value for name, value in headers.items()}
        try:
            event = Webhook(secret).verify(body, named)
        except (WebhookVerificationError, ValueError):  # ValueError: a malformed signature
            return 400
        event_id = named["webhook-id"]
        if event_id in self._seen:
            return 204
        self._seen[event_id] = None
        if len(self._seen) > REMEMBERED_IDS:
            self._seen.popitem(last=False)
        self._events.append(_received(event_id, event, self.clock()))
        return 204

    def recent(self) -> list[Received]:
        """Newest first."""
        return list(reversed(self._events))


def _received(event_id: str, event: Any, now: float) -> Received:
    body = event if isinstance(event, dict) else {}
    data = body.get("data")
    return Received(
        id=event_id,
        type=str(body.get("type", "")),
        timestamp=str(body.get("timestamp", "")),
        received_at=now,
        data=data if isinstance(data, dict) else {},
    )


def router(board: EventBoard) -> APIRouter:
    """The receiver, the page and its JSON, over ``board``."""
    routes = APIRouter(include_in_schema=False)

    @routes.post(RECEIVE_PATH)
    async def receive(request: Request) -> Response:
        return Response(status_code=await board.take(await request.body(), request.headers))

    @routes.get(f"{PAGE_PATH}.json")
    async def events_json() -> JSONResponse:
        return JSONResponse(
            {"events": [asdict(e) for e in board.recent()]}, headers={"Cache-Control": "no-store"}
        )

    @routes.get(PAGE_PATH)
    async def page(request: Request) -> Response:
        events = [(e, json.dumps(e.data, indent=2, ensure_ascii=False)) for e in board.recent()]
        signed_in = await deps.optional_principal(request)  # for the header's links
        return await render(
            request,
            "demo_events.html",
            events=events,
            kept=board.kept,
            receive_path=RECEIVE_PATH,
            user=signed_in.user if signed_in else None,
            csrf_token=signed_in.csrf_token if signed_in else "",
        )

    return routes


async def registered(webhooks: WebhookService, site: str) -> Endpoint:
    """The demo's endpoint for every event type at ``site``'s receiver: the one a kept
    database has (moved to this run's port, enabled again), or a new one."""
    url = f"{site}{RECEIVE_PATH}"
    found = [e for e in await webhooks.endpoints() if _is_the_demo_s(e, url)]
    if not found:
        return await webhooks.add(url, description=DESCRIPTION)
    endpoint = next((e for e in found if e.url == url), found[0])
    if endpoint.url == url and endpoint.enabled:
        return endpoint
    return await webhooks.update(endpoint.id, url=url, enabled=True)


def _is_the_demo_s(endpoint: Endpoint, url: str) -> bool:
    if endpoint.url == url:
        return True
    parts = urlsplit(endpoint.url)
    return (
        endpoint.description == DESCRIPTION
        and parts.hostname == urlsplit(url).hostname
        and parts.path == RECEIVE_PATH
    )


def secret_of(webhooks: WebhookService, endpoint_id: int) -> SecretOf:
    """The endpoint's secret as the service keeps it, in the demo's database."""

    async def secret() -> str | None:
        try:
            return (await webhooks.get(endpoint_id)).secret
        except NotFound:
            return None

    return secret
