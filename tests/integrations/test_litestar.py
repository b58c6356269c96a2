"""Litestar: the authentication middleware through Litestar's own test client."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.testing import TestClient

from tgpass.integrations.litestar import TelegramIdentity, telegram_middleware
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


@get("/me")
async def me(request: Request[TelegramIdentity | None, Any, Any]) -> dict[str, Any]:
    user = request.user
    if user is None:
        return {"user": None}
    return {
        "id": user.telegram_id,
        "name": user.display_name,
        "bot": user.bot_id,
        "auth": type(request.auth).__name__,
    }


@get("/health", exclude_from_auth=True)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/public/ping")
async def ping() -> dict[str, str]:
    return {"pong": "yes"}


def client(**options: Any) -> TestClient[Litestar]:
    options.setdefault("bot_tokens", [BOT_A, BOT_B])
    middleware = telegram_middleware(clock=FrozenClock(NOW), exclude=["/public"], **options)
    return TestClient(Litestar(route_handlers=[me, health, ping], middleware=[middleware]))


@pytest.mark.parametrize(("token", "bot_id"), [(BOT_A, BOT_A_ID), (BOT_B, BOT_B_ID)])
def test_init_data_gives_the_user(token: str, bot_id: int) -> None:
    with client() as test:
        answer = test.get("/me", headers={"Authorization": f"tma {init_data(token)}"})
    assert answer.json() == {
        "id": USER["id"],
        "name": "Ada Lovelace",
        "bot": bot_id,
        "auth": "InitData",
    }


@pytest.mark.parametrize(("header", "code"), every_refusal())
def test_refused_with_the_stable_code_and_nothing_else(header: str | None, code: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    with client() as test:
        answer = test.get("/me", headers=headers)
    assert_refused(answer.status_code, answer.headers, answer.json(), code)


def test_excluded_paths_and_handlers_need_no_user() -> None:
    with client() as test:
        assert test.get("/health").json() == {"status": "ok"}
        assert test.get("/public/ping").json() == {"pong": "yes"}
        assert test.get("/me").status_code == 401


def test_optional_mode() -> None:
    with client(required=False) as test:
        assert test.get("/me").json() == {"user": None}
        answer = test.get("/me", headers={"Authorization": "tma garbage"})
    assert_refused(answer.status_code, answer.headers, answer.json(), "malformed")


def test_ed25519_with_bot_ids_only() -> None:
    with client(bot_tokens=[], bot_ids=[OTHER_BOT_ID], public_key=PUBLIC_KEY) as test:
        good = {"Authorization": f"tma {init_data(OTHER_BOT, ed25519=True)}"}
        assert test.get("/me", headers=good).json()["bot"] == OTHER_BOT_ID
        answer = test.get("/me", headers={"Authorization": f"tma {init_data(OTHER_BOT)}"})
    assert_refused(answer.status_code, answer.headers, answer.json(), "missing_field")


def test_bearer_id_token() -> None:
    with client(login_tokens=FakeLoginTokens()) as test:
        answer = test.get("/me", headers={"Authorization": "Bearer good.id.token"})
    assert answer.json() == {"id": 77, "name": "Grace", "bot": BOT_B_ID, "auth": "FakeToken"}
