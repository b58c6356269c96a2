"""What the site API and the staff page take and show of notifications: the JSON models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tgpass.domain.delivery import OutgoingMessage, checked_message
from tgpass.service.notify.notifications import NotificationStatus

from .schemas import Text


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
