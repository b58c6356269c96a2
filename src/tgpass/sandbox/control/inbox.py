"""What a user has, read back by the phone and by tests: the chat list
(``/sandbox/api/users/{user_id}/chats``), a dialog with a bot (``.../dialogs/{bot}``), every
message received in private (``.../received``), and what a bot answered to a button press
(``/sandbox/api/callback_queries/{query_id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tgpass.sandbox import join_requests
from tgpass.sandbox.commands import private_menu
from tgpass.sandbox.errors import NotFound
from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world
    users = state.users

    @api.get("/users/{user_id}/chats")
    async def chats(user_id: int) -> list[Json]:
        return users.chats(user_id)

    @api.get("/users/{user_id}/dialogs/{bot}")
    async def read_dialog(user_id: int, bot: str) -> Json:
        world.account(user_id)
        found = world.bot_by_username(bot)
        dialog = world.dialog(found.id, user_id)
        return {
            "bot": {**found.as_user(), "has_main_web_app": found.web_app_url is not None},
            "started": dialog.started,
            "blocked": dialog.blocked,
            "pending_start": dialog.pending_start,
            "messages": dialog.messages,
            "reply_keyboard": dialog.reply_keyboard,
            # the bot's command menu, in the user's language when the bot has one for it
            "commands": private_menu(found, user_id, world.account(user_id).language_code),
            # links the user asked to join by: the phone disables their buttons meanwhile
            "pending_invites": join_requests.pending_links(world, user_id),
        }

    @api.get("/users/{user_id}/received")
    async def received(user_id: int, bot: str | None = None, since: float = 0.0) -> list[Json]:
        """Every message the user received in private from ``bot`` (every bot when left out),
        oldest first: ``{"bot", "message_id", "chat_id", "date", "text", "paid_broadcast"}``,
        ``date`` in Unix seconds with fractions; ``since`` keeps those sent at or after it.
        Deleting a message later does not remove it here: it was delivered."""
        world.account(user_id)
        bots = [world.bot_by_username(bot)] if bot else list(world.bots.values())
        found = [
            {"bot": b.username, **delivery}
            for b in bots
            if (dialog := world.dialogs.get((b.id, user_id))) is not None
            for delivery in dialog.deliveries
            if delivery["date"] >= since
        ]
        return sorted(found, key=lambda d: d["date"])

    @api.get("/callback_queries/{query_id}")
    async def callback_answer(query_id: str) -> Json:
        if query_id not in world.callback_queries:
            raise NotFound("This button press is unknown.", callback_query_id=query_id)
        return {
            "answered": query_id in world.callback_answers,
            **world.callback_answers.get(query_id, {}),
        }

    return api
