"""FastAPI: the dependencies through FastAPI's own test client, and what OpenAPI shows.

Annotations are evaluated here (no ``from __future__ import annotations``): FastAPI reads
the routes' ``Depends`` from them, and the routes are made inside functions.
"""

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tgpass import sign_login_widget
from tgpass.integrations.fastapi import (
    TelegramBearer,
    TelegramIdentity,
    TelegramInitData,
    TelegramLoginWidget,
    add_error_handler,
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


def make_app(telegram: TelegramInitData | TelegramBearer, *, handler: bool = True) -> FastAPI:
    app = FastAPI()
    if handler:
        add_error_handler(app)

    @app.get("/me")
    async def me(user: Annotated[TelegramIdentity | None, Depends(telegram)]) -> dict[str, Any]:
        if user is None:
            return {"user": None}
        return {"id": user.telegram_id, "name": user.display_name, "bot": user.bot_id}

    return app


def init_data_app(**options: Any) -> TestClient:
    options.setdefault("bot_tokens", [BOT_A, BOT_B])
    return TestClient(make_app(TelegramInitData(clock=FrozenClock(NOW), **options)))


@pytest.mark.parametrize(("token", "bot_id"), [(BOT_A, BOT_A_ID), (BOT_B, BOT_B_ID)])
def test_init_data_gives_the_user(token: str, bot_id: int) -> None:
    answer = init_data_app().get("/me", headers={"Authorization": f"tma {init_data(token)}"})
    assert answer.status_code == 200
    assert answer.json() == {"id": USER["id"], "name": "Ada Lovelace", "bot": bot_id}


@pytest.mark.parametrize(("header", "code"), every_refusal())
def test_refused_with_the_stable_code_and_nothing_else(header: str | None, code: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = init_data_app().get("/me", headers=headers)
    assert_refused(answer.status_code, answer.headers, answer.json(), code)


def test_ed25519_with_bot_ids_only() -> None:
    client = init_data_app(bot_tokens=[], bot_ids=[OTHER_BOT_ID], public_key=PUBLIC_KEY)
    good = f"tma {init_data(OTHER_BOT, ed25519=True)}"
    assert client.get("/me", headers={"Authorization": good}).json()["bot"] == OTHER_BOT_ID
    answer = client.get("/me", headers={"Authorization": f"tma {init_data(OTHER_BOT)}"})
    assert_refused(answer.status_code, answer.headers, answer.json(), "missing_field")


def test_optional_mode_lets_anonymous_requests_in_but_not_bad_headers() -> None:
    client = init_data_app(auto_error=False)
    assert client.get("/me").json() == {"user": None}
    answer = client.get("/me", headers={"Authorization": "tma garbage"})
    assert_refused(answer.status_code, answer.headers, answer.json(), "malformed")


def test_without_the_handler_fastapi_puts_the_error_under_detail() -> None:
    telegram = TelegramInitData(bot_tokens=[BOT_A], clock=FrozenClock(NOW))
    answer = TestClient(make_app(telegram, handler=False)).get("/me")
    assert answer.status_code == 401
    assert answer.json()["detail"]["code"] == "missing_credentials"
    assert answer.headers["WWW-Authenticate"] == 'tma realm="telegram"'


def test_openapi_shows_the_init_data_scheme() -> None:
    schema = init_data_app().get("/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["TelegramInitData"]
    assert scheme["type"] == "apiKey"
    assert (scheme["in"], scheme["name"]) == ("header", "Authorization")
    assert "tma <initData>" in scheme["description"]
    assert schema["paths"]["/me"]["get"]["security"] == [{"TelegramInitData": []}]


def test_bearer_id_tokens_and_their_openapi_scheme() -> None:
    telegram = TelegramBearer(bot_tokens=[BOT_A], login_tokens=FakeLoginTokens())
    client = TestClient(make_app(telegram))
    answer = client.get("/me", headers={"Authorization": "Bearer good.id.token"})
    assert answer.json() == {"id": 77, "name": "Grace", "bot": BOT_B_ID}
    bad = client.get("/me", headers={"Authorization": "Bearer bad.id.token"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "bad_signature"
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="telegram", error="invalid_token"'
    init = client.get("/me", headers={"Authorization": f"tma {init_data()}"})
    assert init.json()["error"]["code"] == "unsupported_scheme"
    scheme = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert scheme["TelegramLoginToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Telegram Login ID token, as `Authorization: Bearer <id_token>`.",
    }


def test_bearer_needs_a_token_check() -> None:
    with pytest.raises(TypeError):
        TelegramBearer(bot_tokens=[BOT_A])


def test_login_widget_callback() -> None:
    app = FastAPI()
    add_error_handler(app)
    widget = TelegramLoginWidget(bot_tokens=[BOT_A], clock=FrozenClock(NOW))

    @app.get("/login")
    async def login(user: Annotated[TelegramIdentity, Depends(widget)]) -> dict[str, Any]:
        return {"id": user.telegram_id, "scheme": user.scheme}

    client = TestClient(app)
    fields = sign_login_widget({"id": 42, "first_name": "Lin"}, BOT_A, auth_date=NOW)
    answer = client.get("/login", params={**fields, "next": "/home"})
    assert answer.json() == {"id": 42, "scheme": "widget"}
    forged = client.get("/login", params={**fields, "first_name": "Eve"})
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "bad_signature"
    assert client.get("/login").json()["error"]["code"] == "missing_field"
