"""Sign in with Telegram: Login Widget (callback and redirect), LoginUrl, Mini App (body and
``Authorization: tma``), each giving the same account and a session that says its source."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.harness.stack import Stack
from tgpass.verify import sign_init_data, sign_login_widget


def signed_for_ann(token: str, auth_date: int) -> str:
    return sign_init_data(
        {"user": {"id": 5_100_000_001, "first_name": "Ann"}}, token, auth_date=auth_date
    )


async def init_data(stack: Stack, tg_user: int) -> str:
    """What the sandbox's Telegram signs when the user opens the bot's Mini App."""
    opened = await stack.users.open_mini_app(tg_user, stack.bot_username)
    return str(opened["init_data"])


async def widget_fields(stack: Stack, tg_user: int) -> dict[str, str]:
    return await stack.users.widget_login(tg_user, stack.bot_username)


async def test_widget_callback_then_the_same_account_by_mini_app(stack: Stack) -> None:
    tg = await stack.new_tg_user("Зоя 🚀", username="zoya_t")
    fields = await widget_fields(stack, tg)
    first = await stack.web.post(
        "/api/auth/telegram/widget", json={**fields, "id": int(fields["id"])}
    )
    assert first.status_code == 200, first.text
    assert first.json()["source"] == "widget"
    account = first.json()["user"]["id"]
    me = (await stack.web.get("/api/me")).json()
    assert me["telegram"]["id"] == tg
    assert me["telegram"]["first_name"] == "Зоя 🚀"
    stack.web.cookies.clear()
    raw = await init_data(stack, tg)
    again = await stack.web.post("/api/auth/telegram/miniapp", json={"init_data": raw})
    assert again.json()["user"]["id"] == account
    assert again.json()["source"] == "miniapp"


async def test_widget_login_is_good_once(stack: Stack) -> None:
    fields = await widget_fields(stack, await stack.new_tg_user())
    assert (await stack.web.post("/api/auth/telegram/widget", json=fields)).status_code == 200
    replay = await stack.web.post("/api/auth/telegram/widget", json=fields)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "replayed"


async def test_redirect_flow_and_login_url(stack: Stack) -> None:
    tg = await stack.new_tg_user()
    fields = await widget_fields(stack, tg)
    answer = await stack.web.get("/auth/telegram/callback?" + urlencode(fields))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"
    assert (await stack.web.get("/api/me")).json()["source"] == "widget"
    stack.web.cookies.clear()
    # (a second login by the same user in the same second would be the same data: a replay)
    fields = await widget_fields(stack, await stack.new_tg_user("Bob"))
    answer = await stack.web.get("/auth/telegram/loginurl?" + urlencode(fields))
    assert answer.status_code == 303
    assert (await stack.web.get("/api/me")).json()["source"] == "loginurl"


async def test_tma_authorization_is_stateless(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    raw = await init_data(stack, tg)
    me = await stack.web.get("/api/me", headers={"Authorization": f"tma {raw}"})
    assert me.status_code == 200
    assert me.json()["source"] == "miniapp"
    assert "set-cookie" not in me.headers
    linked = await stack.web.post("/api/link", headers={"Authorization": f"tma {raw}"})
    assert linked.status_code == 200  # no CSRF token needed: nothing rides on a cookie


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda raw, token: raw.replace("Ann", "Eve"), "bad_signature"),
        (lambda raw, token: raw + "&x=1", "bad_signature"),
        (lambda raw, token: "garbage", "malformed"),
        (lambda raw, token: signed_for_ann(token, int(time.time()) + 3600), "auth_date_in_future"),
        (lambda raw, token: signed_for_ann(token, 1_600_000_000), "expired"),
    ],
)
async def test_bad_init_data_is_401_with_the_verify_code_and_stores_nothing(
    stack: Stack, tamper: object, code: str
) -> None:
    raw = sign_init_data(
        {"user": {"id": 5_100_000_001, "first_name": "Ann"}},
        stack.bot_token,
        auth_date=int(time.time()),
    )
    bad = tamper(raw, stack.bot_token)  # type: ignore[operator]
    answer = await stack.web.post("/api/auth/telegram/miniapp", json={"init_data": bad})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == code
    header = await stack.web.get("/api/me", headers={"Authorization": f"tma {bad}"})
    assert header.status_code == 401
    assert await stack.services.accounts.find_user(telegram_id=5_100_000_001) is None
    assert "set-cookie" not in answer.headers


async def test_another_bots_widget_data_is_refused(stack: Stack) -> None:
    fields = sign_login_widget(
        {"id": 7, "first_name": "X"}, "999:other-bot-token", auth_date=int(time.time())
    )
    answer = await stack.web.post("/api/auth/telegram/widget", json=fields)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("stack", [{"telegram_signup": False}], indirect=True)
async def test_signup_can_be_refused(stack: Stack) -> None:
    fields = await widget_fields(stack, await stack.new_tg_user())
    answer = await stack.web.post("/api/auth/telegram/widget", json=fields)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "not_linked"
