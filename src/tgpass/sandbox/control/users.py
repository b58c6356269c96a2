"""``/sandbox/api/users/{user_id}/...``: what a user does, as the phone does it: open a link,
press Start, write to a bot, press a button, share a contact or a chat, open a Mini App, join
by an invite link, leave a chat, block or unblock a bot, log in with the widget. Each wakes the
bots whose updates it queued. The actions themselves are ``sandbox/users.py``."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]
T = TypeVar("T")


class Link(BaseModel):
    url: str


class Start(BaseModel):
    bot: str
    payload: str | None = None


class Text(BaseModel):
    bot: str
    text: str


class Press(BaseModel):
    bot: str
    message_id: int = 0
    text: str


class ToBot(BaseModel):
    bot: str


class ShareChat(BaseModel):
    """The answer to a request_chat button: an existing chat, or a new one by its title."""

    bot: str
    request_id: int
    chat_id: int | None = None
    new_title: str | None = Field(None, min_length=1, max_length=128)


class MiniApp(BaseModel):
    bot: str
    start_param: str | None = None


class Invite(BaseModel):
    invite_link: str


class ChatRef(BaseModel):
    chat_id: int


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world
    users = state.users

    async def acted(result: T) -> T:
        """The answer, once the bots the action queued updates for are woken."""
        await state.notify()
        return result

    @api.post("/users/{user_id}/open")
    async def open_link(user_id: int, body: Link) -> Json:
        return await acted(users.open_link(user_id, body.url))

    @api.post("/users/{user_id}/start")
    async def start(user_id: int, body: Start) -> Json:
        return await acted(users.press_start(user_id, body.bot, body.payload))

    @api.post("/users/{user_id}/messages")
    async def send(user_id: int, body: Text) -> Json:
        return await acted(users.send_text(user_id, body.bot, body.text))

    @api.post("/users/{user_id}/press")
    async def press(user_id: int, body: Press) -> Json:
        return await acted(users.press_button(user_id, body.bot, body.message_id, body.text))

    @api.post("/users/{user_id}/contact")
    async def share_contact(user_id: int, body: ToBot) -> Json:
        return await acted(users.share_contact(user_id, body.bot))

    @api.post("/users/{user_id}/share_chat")
    async def share_chat(user_id: int, body: ShareChat) -> Json:
        shared = users.share_chat(
            user_id, body.bot, body.request_id, chat_id=body.chat_id, new_title=body.new_title
        )
        return await acted(shared)

    @api.post("/users/{user_id}/mini_app")
    async def open_mini_app(user_id: int, body: MiniApp) -> Json:
        return await acted(users.open_mini_app(user_id, body.bot, body.start_param))

    @api.post("/users/{user_id}/invites")
    async def open_invite(user_id: int, body: Invite) -> Json:
        return await acted(users.open_invite(user_id, body.invite_link))

    @api.post("/users/{user_id}/leave")
    async def leave(user_id: int, body: ChatRef) -> Json:
        return await acted(users.leave(user_id, body.chat_id))

    @api.post("/users/{user_id}/block")
    async def block(user_id: int, body: ToBot) -> Json:
        world.account(user_id)
        world.block(user_id, world.bot_by_username(body.bot))
        return await acted({"blocked": True})

    @api.post("/users/{user_id}/unblock")
    async def unblock(user_id: int, body: ToBot) -> Json:
        world.account(user_id)
        world.unblock(user_id, world.bot_by_username(body.bot))
        return await acted({"blocked": False})

    @api.post("/users/{user_id}/widget_login")
    async def widget_login(user_id: int, body: ToBot) -> dict[str, str]:
        return users.widget_login(user_id, body.bot)

    return api
