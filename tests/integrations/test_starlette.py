"""Starlette: the authentication backend through Starlette's own test client."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tgpass.integrations.starlette import (
    AuthenticatedTelegramUser,
    TelegramBackend,
    telegram_middleware,
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


@requires("telegram", status_code=401)
async def me(request: Request) -> JSONResponse:
    user = request.user
    assert isinstance(user, AuthenticatedTelegramUser)
    return JSONResponse(
        {
            "id": user.telegram.telegram_id,
            "identity": user.identity,
            "name": user.display_name,
            "bot": user.telegram.bot_id,
            "scopes": request.auth.scopes,
        }
    )


async def anyone(request: Request) -> JSONResponse:
    return JSONResponse({"authenticated": request.user.is_authenticated})


def client(*, required: bool = True, **options: Any) -> TestClient:
    options.setdefault("bot_tokens", [BOT_A, BOT_B])
    middleware = telegram_middleware(required=required, clock=FrozenClock(NOW), **options)
    routes = [Route("/me", me), Route("/anyone", anyone)]
    return TestClient(Starlette(routes=routes, middleware=[middleware]))


@pytest.mark.parametrize(("token", "bot_id"), [(BOT_A, BOT_A_ID), (BOT_B, BOT_B_ID)])
def test_init_data_gives_the_user(token: str, bot_id: int) -> None:
    answer = client().get("/me", headers={"Authorization": f"tma {init_data(token)}"})
    assert answer.json() == {
        "id": USER["id"],
        "identity": str(USER["id"]),
        "name": "Ada Lovelace",
        "bot": bot_id,
        "scopes": ["telegram", "telegram:tma"],
    }


@pytest.mark.parametrize(("header", "code"), every_refusal())
def test_refused_with_the_stable_code_and_nothing_else(header: str | None, code: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = client().get("/me", headers=headers)
    assert_refused(answer.status_code, answer.headers, answer.json(), code)


def test_optional_backend_leaves_anonymous_requests_anonymous() -> None:
    optional = client(required=False)
    assert optional.get("/anyone").json() == {"authenticated": False}
    assert optional.get("/me").status_code == 401  # requires() guards it
    answer = optional.get("/anyone", headers={"Authorization": "tma garbage"})
    assert_refused(answer.status_code, answer.headers, answer.json(), "malformed")
    good = {"Authorization": f"tma {init_data()}"}
    assert optional.get("/anyone", headers=good).json() == {"authenticated": True}


def test_ed25519_with_bot_ids_only() -> None:
    ed25519 = client(bot_tokens=[], bot_ids=[OTHER_BOT_ID], public_key=PUBLIC_KEY)
    good = {"Authorization": f"tma {init_data(OTHER_BOT, ed25519=True)}"}
    assert ed25519.get("/me", headers=good).json()["bot"] == OTHER_BOT_ID
    answer = ed25519.get("/me", headers={"Authorization": f"tma {init_data(OTHER_BOT)}"})
    assert_refused(answer.status_code, answer.headers, answer.json(), "missing_field")


def test_bearer_id_token_scope() -> None:
    bearer = client(login_tokens=FakeLoginTokens())
    answer = bearer.get("/me", headers={"Authorization": "Bearer good.id.token"})
    assert answer.json()["scopes"] == ["telegram", "telegram:bearer"]
    assert answer.json()["bot"] == BOT_B_ID


def test_an_authenticator_or_its_options_not_both() -> None:
    backend = TelegramBackend(bot_tokens=[BOT_A])
    with pytest.raises(TypeError):
        TelegramBackend(backend.authenticator, bot_tokens=[BOT_A])
