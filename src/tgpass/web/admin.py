"""The operator's page (site role ``staff``): compose a broadcast and watch it go out, see
dead letters and queue them again. Its JSON calls are session-authenticated, with CSRF."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from tgpass.bootstrap import Services
from tgpass.errors import Forbidden
from tgpass.service.notifications import Audience

from . import pages
from .deps import Principal, optional_principal, principal, services
from .notify_api import BroadcastOut, NotificationIn, StatusOut
from .schemas import Text

STAFF = "staff"
router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


async def staff(request: Request) -> Principal:
    who = await principal(request)
    if who.user.role != STAFF:
        raise Forbidden("this is for staff", code="not_staff")
    return who


Staff = Annotated[Principal, Depends(staff)]


class ComposeIn(NotificationIn):
    roles: list[Text] | None = None
    min_karma: int | None = Field(None, ge=-(2**62), le=2**62)


class ProgressOut(StatusOut):
    rate: float = Field(description="Messages sent per second since it was accepted.")


class DeadOut(BaseModel):
    id: int
    chat_id: int
    notification_id: str | None
    attempts: int
    last_error: str | None
    text: str


@router.get("/admin")
async def admin_page(request: Request) -> Response:
    who = await optional_principal(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.user.role != STAFF:
        return await pages.render(request, "admin.html", 403, user=who.user, forbidden=True)
    return await pages.render(request, "admin.html", user=who.user, csrf_token=who.csrf_token or "")


@router.post("/api/admin/broadcasts", status_code=202)
async def compose(body: ComposeIn, _: Staff, svc: Svc) -> BroadcastOut:
    message = body.message()
    audience = Audience(roles=tuple(body.roles) if body.roles else None, min_karma=body.min_karma)
    accepted = await svc.notifications.broadcast(message, audience)
    return BroadcastOut(id=accepted.id, recipients=accepted.recipients)


@router.get("/api/admin/broadcasts/{notification_id}")
async def progress(notification_id: str, _: Staff, svc: Svc) -> ProgressOut:
    found = await svc.notifications.status(notification_id[:64])
    elapsed = max(time.time() - found.created_at, 1e-3)
    return ProgressOut(**StatusOut.of(found).model_dump(), rate=found.counts["sent"] / elapsed)


@router.get("/api/admin/dead")
async def dead_letters(_: Staff, svc: Svc) -> list[DeadOut]:
    return [
        DeadOut(
            id=item.id,
            chat_id=item.chat_id,
            notification_id=item.notification_id,
            attempts=item.attempts,
            last_error=item.last_error,
            text=item.message.text,
        )
        for item in await svc.notifications.dead_letters()
    ]


class RetryIn(BaseModel):
    ids: list[int] | None = None


@router.post("/api/admin/dead/retry")
async def retry(body: RetryIn, _: Staff, svc: Svc) -> dict[str, int]:
    return {"requeued": await svc.notifications.retry(body.ids)}
