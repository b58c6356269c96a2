"""The site API for event webhooks: the site's endpoints (add, list, change, delete), their
secrets (shown when made or rotated, never listed), a test event, and each endpoint's
deliveries, any of which may be sent again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from .deps import Webhooks, site_api_key
from .schemas import Done
from .webhook_views import (
    CreatedOut,
    DeliveryLimit,
    DeliveryOut,
    EndpointId,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EventId,
    RetriedOut,
    RotatedOut,
    SentOut,
)

router = APIRouter(
    prefix="/api/site/webhooks", tags=["webhooks"], dependencies=[Depends(site_api_key)]
)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or wrong API key"},
    404: {"description": "No such endpoint or delivery"},
    422: {"description": "Invalid input: an unknown event type, a URL that may not be reached"},
}


@router.post("", status_code=201, responses=ERRORS)
async def add_endpoint(body: EndpointIn, webhooks: Webhooks) -> CreatedOut:
    """Register an endpoint for the event types named (every type when none are). The
    answer holds its signing secret, shown this once."""
    made = await webhooks.add(body.url, body.events, description=body.description)
    return CreatedOut.made(made, now=webhooks.clock())


@router.get("", responses=ERRORS)
async def list_endpoints(webhooks: Webhooks) -> list[EndpointOut]:
    """Every endpoint, oldest first, without secrets."""
    now = webhooks.clock()
    return [EndpointOut.of(endpoint, now=now) for endpoint in await webhooks.endpoints()]


@router.get("/{endpoint_id}", responses=ERRORS)
async def get_endpoint(endpoint_id: EndpointId, webhooks: Webhooks) -> EndpointOut:
    return EndpointOut.of(await webhooks.get(endpoint_id), now=webhooks.clock())


@router.patch("/{endpoint_id}", responses=ERRORS)
async def update_endpoint(
    endpoint_id: EndpointId, body: EndpointPatch, webhooks: Webhooks
) -> EndpointOut:
    """Change the URL, the event types, the description, or whether it is enabled."""
    updated = await webhooks.update(endpoint_id, **body.changes())
    return EndpointOut.of(updated, now=webhooks.clock())


@router.delete("/{endpoint_id}", responses=ERRORS)
async def delete_endpoint(endpoint_id: EndpointId, webhooks: Webhooks) -> Done:
    """The endpoint goes, and with it its deliveries not yet made."""
    await webhooks.delete(endpoint_id)
    return Done()


@router.post("/{endpoint_id}/rotate-secret", responses=ERRORS)
async def rotate_secret(endpoint_id: EndpointId, webhooks: Webhooks) -> RotatedOut:
    """A new secret, shown this once. Until ``previous_secret_until`` every delivery is
    signed by the old secret too, so the site can switch without missing one."""
    rotated = await webhooks.rotate_secret(endpoint_id)
    return RotatedOut.of(rotated, now=webhooks.clock())


@router.post("/{endpoint_id}/test", status_code=202, responses=ERRORS)
async def send_test(endpoint_id: EndpointId, webhooks: Webhooks) -> SentOut:
    """A ``webhook.test`` event to this endpoint, sent at once."""
    event = await webhooks.test(endpoint_id)
    return SentOut(event_id=event.id)


@router.get("/{endpoint_id}/deliveries", responses=ERRORS)
async def list_deliveries(
    endpoint_id: EndpointId, webhooks: Webhooks, limit: DeliveryLimit = 50
) -> list[DeliveryOut]:
    """The endpoint's deliveries, newest event first: pending, delivered or failed, with
    the attempts made, the last answer or error, and when the next attempt is due."""
    return [DeliveryOut.of(d) for d in await webhooks.deliveries(endpoint_id, limit=limit)]


@router.post("/{endpoint_id}/deliveries/{event_id}/retry", status_code=202, responses=ERRORS)
async def retry_delivery(
    endpoint_id: EndpointId, event_id: EventId, webhooks: Webhooks
) -> RetriedOut:
    """Send the event to this endpoint again, now, whatever became of it before (same
    ``webhook-id``: a site that already has it can tell)."""
    await webhooks.retry(endpoint_id, event_id)
    return RetriedOut(event_id=event_id)
