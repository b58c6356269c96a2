"""Flask: the extension, the decorator and the widget helper through Flask's test client."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g, request
from flask.testing import FlaskClient

from tgpass import sign_login_widget
from tgpass.integrations.flask import TelegramAuth, telegram_required
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


def make_app(config: dict[str, Any] | None = None, **options: Any) -> tuple[Flask, TelegramAuth]:
    app = Flask(__name__)
    if config is not None:
        app.config["TGPASS"] = config
    telegram_auth = TelegramAuth(clock=FrozenClock(NOW), **options)
    telegram_auth.init_app(app)

    @app.get("/me")
    @telegram_required
    def me() -> dict[str, Any]:
        return {
            "id": g.telegram.telegram_id,
            "name": g.telegram.display_name,
            "bot": g.telegram.bot_id,
        }

    @app.get("/anyone")
    def anyone() -> dict[str, Any]:
        return {"user": None if g.telegram is None else g.telegram.telegram_id}

    @app.get("/async")
    @telegram_auth.required
    async def asynchronous() -> dict[str, Any]:
        return {"id": g.telegram.telegram_id}

    @app.get("/login")
    def login() -> dict[str, Any]:
        user = telegram_auth.login_widget(request.args)
        return {"id": user.telegram_id, "scheme": user.scheme}

    return app, telegram_auth


def client(**options: Any) -> FlaskClient:
    options.setdefault("bot_tokens", [BOT_A, BOT_B])
    return make_app(**options)[0].test_client()


@pytest.mark.parametrize(("token", "bot_id"), [(BOT_A, BOT_A_ID), (BOT_B, BOT_B_ID)])
def test_init_data_gives_the_user(token: str, bot_id: int) -> None:
    answer = client().get("/me", headers={"Authorization": f"tma {init_data(token)}"})
    assert answer.json == {"id": USER["id"], "name": "Ada Lovelace", "bot": bot_id}


@pytest.mark.parametrize(("header", "code"), every_refusal())
def test_refused_with_the_stable_code_and_nothing_else(header: str | None, code: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = client().get("/me", headers=headers)
    assert_refused(answer.status_code, answer.headers, answer.json, code)


def test_unguarded_views_see_the_user_or_none() -> None:
    test = client()
    assert test.get("/anyone").json == {"user": None}
    assert test.get("/anyone", headers={"Authorization": "tma garbage"}).json == {"user": None}
    good = {"Authorization": f"tma {init_data()}"}
    assert test.get("/anyone", headers=good).json == {"user": USER["id"]}
    assert test.get("/async", headers=good).json == {"id": USER["id"]}
    assert test.get("/async").status_code == 401


def test_settings_come_from_app_config_and_options_win() -> None:
    config = {"BOT_TOKENS": [BOT_A], "BOT_IDS": [OTHER_BOT_ID], "PUBLIC_KEY": PUBLIC_KEY}
    app, _ = make_app(config)
    test = app.test_client()
    good = {"Authorization": f"tma {init_data(OTHER_BOT, ed25519=True)}"}
    assert test.get("/me", headers=good).json["bot"] == OTHER_BOT_ID  # Ed25519, bot id only
    answer = test.get("/me", headers={"Authorization": f"tma {init_data(BOT_B)}"})
    assert_refused(answer.status_code, answer.headers, answer.json, "bad_signature")
    app, _ = make_app(config, bot_tokens=[BOT_B])
    answer = app.test_client().get("/me", headers={"Authorization": f"tma {init_data(BOT_B)}"})
    assert answer.json["bot"] == BOT_B_ID


def test_bearer_id_token() -> None:
    answer = client(login_tokens=FakeLoginTokens()).get(
        "/me", headers={"Authorization": "Bearer good.id.token"}
    )
    assert answer.json == {"id": 77, "name": "Grace", "bot": BOT_B_ID}


def test_login_widget_callback() -> None:
    test = client()
    fields = sign_login_widget({"id": 42, "first_name": "Lin"}, BOT_A, auth_date=NOW)
    assert test.get("/login", query_string={**fields, "next": "/home"}).json == {
        "id": 42,
        "scheme": "widget",
    }
    forged = test.get("/login", query_string={**fields, "first_name": "Eve"})
    assert forged.status_code == 401
    assert forged.json == {
        "error": {"code": "bad_signature", "message": forged.json["error"]["message"]}
    }


def test_the_decorator_without_the_extension_is_a_mistake_said_plainly() -> None:
    app = Flask(__name__)
    app.get("/me")(telegram_required(lambda: "hi"))
    assert app.test_client().get("/me").status_code == 500
