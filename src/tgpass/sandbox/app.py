"""The sandbox server: Telegram's Bot API at ``/bot<token>/<method>`` and the users' side
under ``/sandbox/api/``, over one in-memory ``World``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from . import botapi
from .errors import BotApiError, bad_request
from .params import Params
from .world import Bot, World

Json = dict[str, Any]


class SandboxState:
    """The world plus what the server needs around it: wake-ups for long polls."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.changed = asyncio.Condition()

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for_updates(self, bot: Bot, timeout: float) -> None:
        async with self.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait_for(lambda: bool(bot.updates)), timeout)


async def _params(request: Request) -> Json:
    params: Json = dict(request.query_params)
    if request.method != "POST":
        return params
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        body = await request.body()
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON") from None
            if not isinstance(data, dict):
                raise bad_request("the request body must be a JSON object")
            params.update(data)
    elif kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


async def _get_updates(state: SandboxState, bot: Bot, p: Params) -> list[Json]:
    if bot.webhook is not None:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    if p.has("allowed_updates"):
        bot.allowed_updates = botapi.allowed_updates(p)
    limit = min(max(p.number("limit", default=100) or 100, 1), 100)
    timeout = max(p.number("timeout", default=0) or 0, 0)
    updates = state.world.take_updates(bot, p.number("offset"), limit)
    if not updates and timeout:
        await state.wait_for_updates(bot, float(timeout))
        updates = state.world.take_updates(bot, None, limit)
    return updates


def _answer(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _failure(error: BotApiError) -> JSONResponse:
    return JSONResponse(error.to_dict(), status_code=error.error_code)


# -- the users' side --------------------------------------------------------------------------


class NewAccount(BaseModel):
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    phone_number: str | None = None
    photo_url: str | None = None
    is_premium: bool = False
    id: int | None = None


class NewBot(BaseModel):
    username: str
    first_name: str | None = None
    token: str | None = None
    web_app_url: str | None = None


class NewChat(BaseModel):
    title: str
    type: str = "supergroup"
    owner_id: int
    username: str | None = None
    members: list[int] = []


class BotInChat(BaseModel):
    bot_id: int
    admin_rights: Json | None = None


class Start(BaseModel):
    bot: str
    payload: str | None = None


class Text(BaseModel):
    bot: str
    text: str


class ToBot(BaseModel):
    bot: str


class Invite(BaseModel):
    invite_link: str


def create_app(world: World | None = None) -> FastAPI:
    state = SandboxState(world or World())
    app = FastAPI(title="tgpass sandbox Telegram", version="1")
    app.state.sandbox = state

    @app.api_route("/bot{token}/{method}", methods=["GET", "POST"], include_in_schema=False)
    async def bot_api(token: str, method: str, request: Request) -> JSONResponse:
        bot = state.world.bots_by_token.get(token)
        try:
            if bot is None:
                raise BotApiError(401, "Unauthorized")
            params = Params(await _params(request))
            if method.lower() == "getupdates":
                return _answer(await _get_updates(state, bot, params))
            result = botapi.call(state.world, bot, method, params.values)
        except BotApiError as error:
            return _failure(error)
        await state.notify()
        return _answer(result)

    def account_json(user_id: int) -> Json:
        account = state.world.account(user_id)
        return {**account.as_user(), "phone_number": account.phone_number}

    @app.exception_handler(KeyError)
    async def unknown(request: Request, error: KeyError) -> JSONResponse:
        message = error.args[0] if error.args else "not found"
        return JSONResponse({"error": {"code": "not_found", "message": message}}, 404)

    @app.exception_handler(PermissionError)
    async def refused(request: Request, error: PermissionError) -> JSONResponse:
        return JSONResponse({"error": {"code": "refused", "message": str(error)}}, 403)

    @app.exception_handler(ValueError)
    async def invalid(request: Request, error: ValueError) -> JSONResponse:
        return JSONResponse({"error": {"code": "invalid", "message": str(error)}}, 400)

    @app.exception_handler(BotApiError)
    async def telegram_error(request: Request, error: BotApiError) -> JSONResponse:
        code = "telegram_error"
        return JSONResponse({"error": {"code": code, "message": error.description}}, 400)

    @app.post("/sandbox/api/users", status_code=201)
    async def create_user(body: NewAccount) -> Json:
        details = body.model_dump(exclude={"first_name"})
        return account_json(state.world.add_account(body.first_name, **details).id)

    @app.post("/sandbox/api/bots", status_code=201)
    async def create_bot(body: NewBot) -> Json:
        bot = state.world.add_bot(**body.model_dump())
        return {**bot.as_user(), "token": bot.token}

    @app.post("/sandbox/api/chats", status_code=201)
    async def create_chat(body: NewChat) -> Json:
        state.world.account(body.owner_id)
        chat = state.world.add_chat(
            body.title,
            type=body.type,
            owner_id=body.owner_id,
            username=body.username,
            members=body.members,
        )
        return chat.as_chat()

    @app.post("/sandbox/api/chats/{chat_id}/bots")
    async def add_bot_to_chat(chat_id: int, body: BotInChat) -> Json:
        state.world.add_bot_to_chat(body.bot_id, chat_id, admin_rights=body.admin_rights)
        await state.notify()
        return state.world.member_json(state.world.chat(chat_id), body.bot_id)

    @app.post("/sandbox/api/users/{user_id}/start")
    async def start(user_id: int, body: Start) -> Json:
        message = state.world.start(user_id, state.world.bot_by_username(body.bot), body.payload)
        await state.notify()
        return message

    @app.post("/sandbox/api/users/{user_id}/messages")
    async def send(user_id: int, body: Text) -> Json:
        bot = state.world.bot_by_username(body.bot)
        message = state.world.send_text(user_id, bot, body.text)
        await state.notify()
        return message

    @app.post("/sandbox/api/users/{user_id}/block")
    async def block(user_id: int, body: ToBot) -> Json:
        state.world.block(user_id, state.world.bot_by_username(body.bot))
        await state.notify()
        return {"blocked": True}

    @app.post("/sandbox/api/users/{user_id}/unblock")
    async def unblock(user_id: int, body: ToBot) -> Json:
        state.world.unblock(user_id, state.world.bot_by_username(body.bot))
        await state.notify()
        return {"blocked": False}

    @app.post("/sandbox/api/users/{user_id}/invites")
    async def open_invite(user_id: int, body: Invite) -> Json:
        outcome = state.world.open_invite(user_id, body.invite_link)
        await state.notify()
        return {"outcome": outcome}

    @app.get("/sandbox/api/users/{user_id}/dialogs/{bot}")
    async def read_dialog(user_id: int, bot: str) -> Json:
        found = state.world.bot_by_username(bot)
        dialog = state.world.dialog(found.id, user_id)
        return {
            "bot": found.as_user(),
            "blocked": dialog.blocked,
            "messages": dialog.messages,
            "reply_keyboard": dialog.reply_keyboard,
        }

    return app
