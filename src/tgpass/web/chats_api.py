"""The site API for gated chats: the chats the bot administers and why each is or is not
gated, their rules, where a site user stands in each, the audit trail, and what the next
reconciler pass would change. Chats are named by Telegram's (negative) chat id, users by the
site's own id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from . import chat_views
from .chat_views import AuditOut, ChatId, ChatOut, Limit, PlanOut, RuleIn, UserChatsOut
from .deps import Gating, SiteUsers, site_api_key

router = APIRouter(prefix="/api/site", tags=["chats"], dependencies=[Depends(site_api_key)])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or wrong API key"},
    404: {"description": "No such chat or user"},
    422: {"description": "Invalid input"},
}


@router.get("/chats", responses=ERRORS)
async def list_chats(gating: Gating) -> list[ChatOut]:
    """Every chat where the bot is or was: its rights, what it lacks, and its rule."""
    return [ChatOut.of(view) for view in await gating.chats()]


@router.get("/chats/plan", responses=ERRORS)
async def plan(gating: Gating) -> list[PlanOut]:
    """What a reconciler pass would change now, chat by chat (nothing is changed)."""
    return await chat_views.plans(gating)


@router.get("/chats/{chat_id}", responses=ERRORS)
async def get_chat(chat_id: ChatId, gating: Gating) -> ChatOut:
    return ChatOut.of(await gating.chat(chat_id))


@router.put("/chats/{chat_id}/rule", responses=ERRORS)
async def put_rule(chat_id: ChatId, body: RuleIn, gating: Gating) -> ChatOut:
    """Gate the chat by this rule; the reconciler invites and removes accordingly."""
    return await chat_views.set_rule(gating, chat_id, body)


@router.delete("/chats/{chat_id}/rule", responses=ERRORS)
async def delete_rule(chat_id: ChatId, gating: Gating) -> ChatOut:
    """Stop gating the chat: nobody is invited or removed for it any more."""
    return ChatOut.of(await gating.set_rule(chat_id, None))


@router.get("/chats/{chat_id}/audit", responses=ERRORS)
async def chat_audit(chat_id: ChatId, gating: Gating, limit: Limit = 100) -> list[AuditOut]:
    """What gating did in the chat and why, newest first."""
    await gating.chat(chat_id)  # a 404 for a chat it never knew
    return await chat_views.audit(gating, chat_id=chat_id, limit=limit)


@router.get("/users/{site_user_id}/chats", responses=ERRORS)
async def site_user_chats(site_user_id: str, users: SiteUsers, gating: Gating) -> UserChatsOut:
    """For each chat with a rule: may the user be in it and why not, invited, in it,
    removed."""
    user = (await users.get(site_user_id)).user
    return UserChatsOut(
        site_user_id=site_user_id,
        user_id=user.id,
        chats=await chat_views.user_chats(gating, user.id),
    )


@router.get("/users/{site_user_id}/audit", responses=ERRORS)
async def site_user_audit(
    site_user_id: str, users: SiteUsers, gating: Gating, limit: Limit = 100
) -> list[AuditOut]:
    """What gating did about the user, in every chat, newest first."""
    user = (await users.get(site_user_id)).user
    return await chat_views.audit(gating, user_id=user.id, limit=limit)
