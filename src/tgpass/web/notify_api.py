"""The site API for notifications: to one user, to an audience, and their delivery status.
Writes honour ``Idempotency-Key``: the same key and body get the same answer and send once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, Field

from tgpass.domain.delivery import OutgoingMessage, checked_message
from tgpass.service.notify.notifications import Accepted, Audience, NotificationStatus

from .deps import Notifications, SiteUsers, site_api_key
from .schemas import Text

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


class ButtonIn(BaseModel):
    text: Text = Field(min_length=1, max_length=64)
    url: Text = Field(min_length=1, max_length=2048)


class NotificationIn(BaseModel):
    text: Text = Field(min_length=1, max_length=4096)
    parse_mode: Literal["HTML", "MarkdownV2"] | None = Field(
        None, description="How Telegram reads the text; plain text when absent."
    )
    buttons: list[list[ButtonIn]] | None = Field(None, description="Rows of URL buttons.")
    disable_notification: bool = False

    def message(self) -> OutgoingMessage:
        return checked_message(
            self.text,
            parse_mode=self.parse_mode,
            buttons=[[b.model_dump() for b in row] for row in self.buttons or []],
            disable_notification=self.disable_notification,
        )


class AudienceIn(BaseModel):
    user_ids: list[Text] | None = Field(None, description="The site's own user ids.")
    roles: list[Text] | None = None
    min_karma: int | None = Field(None, ge=-(2**62), le=2**62)


class BroadcastIn(NotificationIn):
    audience: AudienceIn


class QueuedOut(BaseModel):
    id: str
    status: Literal["queued"] = "queued"


class BroadcastOut(BaseModel):
    id: str
    recipients: int


class MessageOut(BaseModel):
    state: str
    attempts: int
    last_error: str | None
    sent_at: float | None


class StatusOut(BaseModel):
    id: str
    kind: Literal["single", "broadcast"]
    status: str
    recipients: int
    queued: int
    sending: int
    sent: int
    failed: int
    unreachable: int
    created_at: float
    message: MessageOut | None = None

    @classmethod
    def of(cls, found: NotificationStatus) -> StatusOut:
        row = found.message
        return cls(
            id=found.id,
            kind=found.kind,  # type: ignore[arg-type]
            status=found.status,
            recipients=found.recipients,
            created_at=found.created_at,
            message=None
            if row is None
            else MessageOut(
                state=row.state,
                attempts=row.attempts,
                last_error=row.last_error,
                sent_at=row.finished_at if row.state == "sent" else None,
            ),
            **found.counts,
        )


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
