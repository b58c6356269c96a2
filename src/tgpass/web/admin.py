"""The operator's pages (site role ``staff``): compose a broadcast and watch it go out, see
dead letters and queue them again; gated chats, their rules and audit trails, and where a
site user stands in each (with their karma and role, changeable here); the site's event
endpoints, their health and deliveries, a failed one sent again. Their JSON calls are
session-authenticated, with CSRF."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from tgpass.domain.accounts import User
from tgpass.domain.gating import STAFF_ROLE
from tgpass.domain.webhooks import checked_types
from tgpass.errors import Forbidden, InvalidInput, NotFound
from tgpass.i18n import N_
from tgpass.service.accounts import LinkingService
from tgpass.service.gating import GatingService
from tgpass.service.notify.notifications import Audience

from . import chat_views, rendering
from .chat_views import AuditOut, ChatId, ChatOut, Limit, RuleIn, UserChatOut
from .deps import (
    Accounts,
    Gating,
    Linking,
    Notifications,
    Principal,
    SiteUsers,
    Webhooks,
    optional_principal,
    principal,
)
from .language import site_translator
from .notify_views import BroadcastOut, NotificationIn, StatusOut
from .schemas import TelegramOut, Text, UserOut
from .webhook_views import (
    DeliveryLimit,
    DeliveryOut,
    EndpointHealthOut,
    EndpointId,
    EndpointOut,
    EventId,
    RetriedOut,
    SentOut,
    endpoints_with_health,
)

router = APIRouter(include_in_schema=False)
AUDIT_SENTENCES = {
    "bot": "{reason}",  # the reason, said by BOT_STANDING
    "rule": N_("The rule is now: {reason}"),
    "invite": N_("{who} was invited ({reason})"),
    "approve": N_("{who} was let in ({reason})"),
    "decline": N_("{who} was turned away ({reason})"),
    "remove": N_("{who} was removed by the bot ({reason})"),
    "revoke": N_("{who}'s invite link was withdrawn ({reason})"),
    "left": N_("{who} left on their own"),
    "refused": N_("Telegram refused a change for {who} ({reason})"),
    "request-gone": N_("{who}'s request to join had already gone ({reason})"),
    "paused": N_("Gating was paused: {reason}"),
    "migrated": N_("The group became a supergroup ({reason})"),
}
"""Audit entries as people read them, by action: ``{who}`` and ``{reason}`` are filled in
on the page (the JSON API keeps the raw action and reason)."""
BOT_STANDING = {
    "administrator": N_("The bot was made an administrator"),
    "creator": N_("The bot owns the chat"),
    "member": N_("The bot is a plain member, not an administrator"),
    "restricted": N_("The bot was restricted"),
    "left": N_("The bot left the chat"),
    "kicked": N_("The bot was removed from the chat"),
}
"""The first part of a ``bot`` entry's reason (``administrator: the bot can gate this
chat``), said as a sentence."""
MEMBER_STATUS = {
    "member": N_("In the chat"),
    "administrator": N_("In the chat (an administrator)"),
    "creator": N_("In the chat (its owner)"),
    "restricted": N_("In the chat (restricted)"),
    "left": N_("Not in the chat"),
    "kicked": N_("Banned by the chat's admins"),
}
"""Where a user stands in a chat (Telegram's member status), as people say it."""
REMOVED_BY_THE_BOT = N_("Removed by the bot")


async def staff(request: Request) -> Principal:
    who = await principal(request)
    if who.user.role != STAFF_ROLE:
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


async def _staff_page(request: Request, template: str, **context: Any) -> Response:
    """A staff page; the login page (coming back here) for someone not signed in."""
    who = await optional_principal(request)
    if who is None:
        return RedirectResponse(rendering.sign_in_url(request.url.path), status_code=303)
    if who.user.role != STAFF_ROLE:
        return await rendering.render(request, template, 403, user=who.user, forbidden=True)
    csrf_token = who.csrf_token or ""
    return await rendering.render(
        request, template, user=who.user, csrf_token=csrf_token, **context
    )


@router.get("/admin")
async def admin_page(request: Request) -> Response:
    return await _staff_page(request, "admin.html")


@router.get("/admin/chats")
async def chats_page(request: Request) -> Response:
    t = site_translator(request)
    words = {
        "audit": {action: t._(said) for action, said in AUDIT_SENTENCES.items()},
        "bot": {standing: t._(said) for standing, said in BOT_STANDING.items()},
        "status": {status: t._(said) for status, said in MEMBER_STATUS.items()},
        "removed": t._(REMOVED_BY_THE_BOT),
    }
    return await _staff_page(request, "admin_chats.html", words=words)


@router.post("/api/admin/broadcasts", status_code=202)
async def compose(body: ComposeIn, _: Staff, notifications: Notifications) -> BroadcastOut:
    message = body.message()
    audience = Audience(roles=tuple(body.roles) if body.roles else None, min_karma=body.min_karma)
    accepted = await notifications.broadcast(message, audience)
    return BroadcastOut(id=accepted.id, recipients=accepted.recipients)


@router.get("/api/admin/broadcasts/{notification_id}")
async def progress(notification_id: str, _: Staff, notifications: Notifications) -> ProgressOut:
    found = await notifications.status(notification_id[:64])
    elapsed = max(time.time() - found.created_at, 1e-3)
    return ProgressOut(**StatusOut.of(found).model_dump(), rate=found.counts["sent"] / elapsed)


@router.get("/api/admin/dead")
async def dead_letters(_: Staff, notifications: Notifications) -> list[DeadOut]:
    return [
        DeadOut(
            id=item.id,
            chat_id=item.chat_id,
            notification_id=item.notification_id,
            attempts=item.attempts,
            last_error=item.last_error,
            text=item.message.text,
        )
        for item in await notifications.dead_letters()
    ]


class RetryIn(BaseModel):
    ids: list[int] | None = None


@router.post("/api/admin/dead/retry")
async def retry(body: RetryIn, _: Staff, notifications: Notifications) -> dict[str, int]:
    return {"requeued": await notifications.retry(body.ids)}


# -- gated chats -----------------------------------------------------------------------------


@router.get("/api/admin/chats")
async def chats(_: Staff, gating: Gating) -> list[ChatOut]:
    return [ChatOut.of(view) for view in await gating.chats()]


@router.put("/api/admin/chats/{chat_id}/rule")
async def put_rule(chat_id: ChatId, body: RuleIn, _: Staff, gating: Gating) -> ChatOut:
    return await chat_views.set_rule(gating, chat_id, body)


@router.delete("/api/admin/chats/{chat_id}/rule")
async def delete_rule(chat_id: ChatId, _: Staff, gating: Gating) -> ChatOut:
    return ChatOut.of(await gating.set_rule(chat_id, None))


@router.get("/api/admin/chats/{chat_id}/audit")
async def chat_audit(
    chat_id: ChatId, _: Staff, gating: Gating, limit: Limit = 50
) -> list[AuditOut]:
    await gating.chat(chat_id)
    return await chat_views.audit(gating, chat_id=chat_id, limit=limit)


class StandingIn(BaseModel):
    role: Text = Field(max_length=32)
    karma: int = Field(ge=-(2**62), le=2**62)


class StaffUserOut(BaseModel):
    user: UserOut
    telegram: TelegramOut | None
    chats: list[UserChatOut]
    audit: list[AuditOut]


UserId = Annotated[int, Path(ge=1, le=2**62)]
Lookup = Annotated[str | None, Query(min_length=1, max_length=128)]


async def _user_view(linking: LinkingService, gating: GatingService, user: User) -> StaffUserOut:
    return StaffUserOut(
        user=UserOut.of(user),
        telegram=TelegramOut.of(await linking.link_of(user.id)),
        chats=await chat_views.user_chats(gating, user.id),
        audit=await chat_views.audit(gating, user_id=user.id, limit=20),
    )


@router.get("/api/admin/users")
async def find_user(
    _: Staff,
    accounts: Accounts,
    linking: Linking,
    gating: Gating,
    site_user_id: Lookup = None,
    username: Lookup = None,
) -> StaffUserOut:
    """A site account by the website's own id or by its username here."""
    if (site_user_id is None) == (username is None):
        raise InvalidInput("give a site_user_id or a username", field="site_user_id")
    user = await accounts.find_user(site_user_id=site_user_id, username=username)
    if user is None:
        raise NotFound("no user {who!r}", values={"who": site_user_id or username})
    return await _user_view(linking, gating, user)


@router.get("/api/admin/users/{user_id}")
async def get_user(
    user_id: UserId, _: Staff, accounts: Accounts, linking: Linking, gating: Gating
) -> StaffUserOut:
    user = await accounts.get_user(user_id)
    if user is None:
        raise NotFound("no user {user_id}", values={"user_id": user_id})
    return await _user_view(linking, gating, user)


@router.put("/api/admin/users/{user_id}/standing")
async def set_standing(
    user_id: UserId,
    body: StandingIn,
    _: Staff,
    users: SiteUsers,
    linking: Linking,
    gating: Gating,
) -> StaffUserOut:
    """Change a user's role and karma; gated chats follow, as they do the site's updates."""
    user = await users.set_standing(user_id, role=body.role, karma=body.karma)
    return await _user_view(linking, gating, user)


# -- event webhooks --------------------------------------------------------------------------


@router.get("/admin/webhooks")
async def webhooks_page(request: Request) -> Response:
    return await _staff_page(request, "admin_webhooks.html", every_type=checked_types(None))


@router.get("/api/admin/webhooks")
async def webhook_endpoints(_: Staff, webhooks: Webhooks) -> list[EndpointHealthOut]:
    return await endpoints_with_health(webhooks)


@router.get("/api/admin/webhooks/{endpoint_id}/deliveries")
async def webhook_deliveries(
    endpoint_id: EndpointId, _: Staff, webhooks: Webhooks, limit: DeliveryLimit = 20
) -> list[DeliveryOut]:
    return [DeliveryOut.of(d) for d in await webhooks.deliveries(endpoint_id, limit=limit)]


@router.post("/api/admin/webhooks/{endpoint_id}/deliveries/{event_id}/retry", status_code=202)
async def retry_webhook_delivery(
    endpoint_id: EndpointId, event_id: EventId, _: Staff, webhooks: Webhooks
) -> RetriedOut:
    await webhooks.retry(endpoint_id, event_id)
    return RetriedOut(event_id=event_id)


@router.post("/api/admin/webhooks/{endpoint_id}/test", status_code=202)
async def send_test_webhook(endpoint_id: EndpointId, _: Staff, webhooks: Webhooks) -> SentOut:
    return SentOut(event_id=(await webhooks.test(endpoint_id)).id)


@router.post("/api/admin/webhooks/{endpoint_id}/enable")
async def enable_webhook(endpoint_id: EndpointId, _: Staff, webhooks: Webhooks) -> EndpointOut:
    """An endpoint disabled (a 410, failing too long) is sent to again."""
    enabled = await webhooks.update(endpoint_id, enabled=True)
    return EndpointOut.of(enabled, now=webhooks.clock())
