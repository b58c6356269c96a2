"""The site API for notifications: to one user, to an audience, and their delivery status.
Writes honour ``Idempotency-Key``: the same key and body get the same answer and send once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response

from tgpass.service.notify.notifications import Accepted, Audience

from .deps import Notifications, SiteUsers, site_api_key
from .notify_views import BroadcastIn, BroadcastOut, NotificationIn, QueuedOut, StatusOut

router = APIRouter(prefix="/api/site", tags=["notifications"], dependencies=[Depends(site_api_key)])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Send the same request again with the same key: it is done once.",
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or wrong API key"},
    404: {"description": "No such user or notification"},
    409: {"description": "Not linked, or the Idempotency-Key was used with another body"},
    422: {"description": "Invalid input"},
}


def _replayed(response: Response, accepted: Accepted) -> None:
    if accepted.replayed:
        response.headers["Idempotent-Replayed"] = "true"


@router.post("/users/{site_user_id}/notifications", status_code=202, responses=ERRORS)
async def notify_user(
    site_user_id: str,
    body: NotificationIn,
    response: Response,
    users: SiteUsers,
    notifications: Notifications,
    key: IdempotencyKey = None,
) -> QueuedOut:
    """Queue a message to the user's linked Telegram chat; 409 ``not_linked`` without one."""
    found = await users.get(site_user_id)
    accepted = await notifications.send(found.user, body.message(), idempotency_key=key)
    _replayed(response, accepted)
    return QueuedOut(id=accepted.id)


@router.post("/notifications", status_code=202, responses=ERRORS)
async def broadcast(
    body: BroadcastIn,
    response: Response,
    notifications: Notifications,
    key: IdempotencyKey = None,
) -> BroadcastOut:
    """Queue a message to every linked user of the audience (every filter must match).
    Users known to have blocked the bot are counted as ``unreachable``."""
    audience = Audience(
        site_user_ids=None if body.audience.user_ids is None else tuple(body.audience.user_ids),
        roles=None if body.audience.roles is None else tuple(body.audience.roles),
        min_karma=body.audience.min_karma,
    )
    accepted = await notifications.broadcast(body.message(), audience, idempotency_key=key)
    _replayed(response, accepted)
    return BroadcastOut(id=accepted.id, recipients=accepted.recipients)


@router.get("/notifications/{notification_id}", responses=ERRORS)
async def notification_status(notification_id: str, notifications: Notifications) -> StatusOut:
    """Counts by state; for one user's notification, its message's state and last error."""
    return StatusOut.of(await notifications.status(notification_id[:64]))
