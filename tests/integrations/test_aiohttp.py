"""aiohttp: the middleware and the decorator through aiohttp's own TestServer and TestClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tgpass.integrations.aiohttp import (
    TELEGRAM,
    TelegramIdentity,
    telegram_middleware,
    telegram_required,
)
from tgpass.testing import FrozenClock

from .signing import (
    BOT_A,
    BOT_A_ID,
    BOT_B,
    BOT_B_ID,
    NOW,
    OTHER_BOT,
    OTHER_BOT_ID,
    PUBLIC_KEY,
    USER,
    FakeLoginTokens,
    assert_refused,
    every_refusal,
    init_data,
)

Client = TestClient[web.Request, web.Application]


async def me(request: web.Request) -> web.Response:
    user = request[TELEGRAM]
    if user is None:
        return web.json_response({"user": None})
    assert isinstance(user, TelegramIdentity)
    return web.json_response(
        {"id": user.telegram_id, "name": user.display_name, "bot": user.bot_id}
    )


@asynccontextmanager
async def serving(**options: Any) -> AsyncIterator[Client]:
    options.setdefault("bot_tokens", [BOT_A, BOT_B])
    app = web.Application(middlewares=[telegram_middleware(clock=FrozenClock(NOW), **options)])
    app.router.add_get("/me", me)
    app.router.add_get("/guarded", telegram_required(me))
    async with TestClient(TestServer(app)) as client:
        yield client


async def refused(client: Client, path: str, headers: dict[str, str], code: str) -> None:
    answer = await client.get(path, headers=headers)
    assert_refused(answer.status, answer.headers, await answer.json(), code)


@pytest.mark.parametrize(("token", "bot_id"), [(BOT_A, BOT_A_ID), (BOT_B, BOT_B_ID)])
async def test_init_data_gives_the_user(token: str, bot_id: int) -> None:
    async with serving() as client:
        answer = await client.get("/me", headers={"Authorization": f"tma {init_data(token)}"})
        assert await answer.json() == {"id": USER["id"], "name": "Ada Lovelace", "bot": bot_id}


@pytest.mark.parametrize(("header", "code"), every_refusal())
async def test_refused_with_the_stable_code_and_nothing_else(header: str | None, code: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with serving() as client:
        await refused(client, "/me", headers, code)


@pytest.mark.parametrize(("header", "code"), every_refusal()[:5])
async def test_optional_mode_leaves_the_answer_to_the_decorator(
    header: str | None, code: str
) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with serving(required=False) as client:
        answer = await client.get("/me", headers=headers)
        assert await answer.json() == {"user": None}
        await refused(client, "/guarded", headers, code)
        good = {"Authorization": f"tma {init_data()}"}
        assert (await (await client.get("/guarded", headers=good)).json())["bot"] == BOT_A_ID


async def test_ed25519_with_bot_ids_only() -> None:
    async with serving(bot_tokens=[], bot_ids=[OTHER_BOT_ID], public_key=PUBLIC_KEY) as client:
        good = {"Authorization": f"tma {init_data(OTHER_BOT, ed25519=True)}"}
        assert (await (await client.get("/me", headers=good)).json())["bot"] == OTHER_BOT_ID
        hmac_only = {"Authorization": f"tma {init_data(OTHER_BOT)}"}
        await refused(client, "/me", hmac_only, "missing_field")


async def test_bearer_id_token() -> None:
    async with serving(login_tokens=FakeLoginTokens()) as client:
        answer = await client.get("/me", headers={"Authorization": "Bearer good.id.token"})
        assert await answer.json() == {"id": 77, "name": "Grace", "bot": BOT_B_ID}


async def test_the_decorator_without_the_middleware_is_a_mistake_said_plainly() -> None:
    handler: Callable[..., Any] = telegram_required(me)
    app = web.Application()
    app.router.add_get("/guarded", handler)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/guarded")).status == 500
