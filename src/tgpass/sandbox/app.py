"""The sandbox server: Telegram's Bot API at ``/bot<token>/<method>``, the users' side under
``/sandbox/api/`` (OpenAPI at ``/openapi.json``), the phone page at ``/``, drop-in
``telegram-widget.js`` and ``telegram-web-app.js``, and Telegram Login's OpenID Connect
provider under ``/oauth`` (the issuer).

The users' side is one router per area, in ``sandbox/control/``; what any path answers when
something goes wrong is ``sandbox/http_errors.py``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from . import botapi, oidc_http, pages
from .control import accounts, bots, chats, faults, inbox, info, limits, login, users
from .errors import BotApiError, bad_request
from .http_errors import install_error_handlers
from .params import Params
from .state import SandboxState
from .world import Bot, World

Json = dict[str, Any]


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


class _CorsButTokenEndpoint(CORSMiddleware):
    """CORS for every path but Telegram Login's token endpoint: a page cannot trade a code
    (it would hold the client secret); the site's server does."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == oidc_http.TOKEN_PATH:
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(state: SandboxState | None = None) -> FastAPI:
    state = state or SandboxState(World())
    app = FastAPI(
        title="tgpass sandbox Telegram",
        version="1",
        description="An offline Telegram: the Bot API for bots, simulated users for people.",
    )
    app.state.sandbox = state
    # The widget script runs on the site's origin and asks the sandbox to sign.
    app.add_middleware(
        _CorsButTokenEndpoint, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
    )

    @app.api_route("/bot{token}/{method}", methods=["GET", "POST"], include_in_schema=False)
    async def bot_api(token: str, method: str, request: Request) -> JSONResponse:
        bot = state.world.bots_by_token.get(token)
        try:
            if bot is None:
                raise BotApiError(401, "Unauthorized")
            if delay := state.faults.latency(bot.id):
                await asyncio.sleep(delay)
            state.faults.check_call(bot.id)
            params = Params(await _params(request))
            if method.lower() == "getupdates":
                result: Any = await _get_updates(state, bot, params)
            else:
                result = botapi.call(state.world, bot, method, params.values)
        except BotApiError as error:
            state.world.observers.emit("error", error.to_dict())
            return JSONResponse(error.to_dict(), status_code=error.error_code)
        state.world.observers.emit(method, result)
        await state.notify()
        return JSONResponse({"ok": True, "result": result})

    install_error_handlers(app)
    control = (info, accounts, bots, login, chats, users, inbox, limits, faults)
    for area in control:
        app.include_router(area.router(state), prefix="/sandbox/api", tags=["sandbox"])
    app.include_router(pages.router(state))
    app.include_router(oidc_http.router(state))
    return app
