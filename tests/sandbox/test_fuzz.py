"""Bad input never crashes the sandbox: every Bot API method and control endpoint, fed junk,
answers in Telegram's envelope (or a 4xx), never a 500."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tgpass.sandbox.app import create_app
from tgpass.sandbox.botapi import METHODS
from tgpass.sandbox.state import SandboxState
from tgpass.sandbox.world import World

PARAMS = [
    "chat_id",
    "text",
    "parse_mode",
    "entities",
    "reply_markup",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "url",
    "secret_token",
    "max_connections",
    "drop_pending_updates",
    "callback_query_id",
    "commands",
    "menu_button",
    "user_id",
    "invite_link",
    "member_limit",
    "expire_date",
    "creates_join_request",
    "name",
    "until_date",
    "only_if_banned",
    "show_alert",
    "allow_paid_broadcast",
    "chat_join_request_query_id",
    "result",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
bodies = st.dictionaries(st.sampled_from(PARAMS), values, max_size=5)


def world_with_a_dialog() -> tuple[World, str, int]:
    world = World()
    world.flood.limits.enabled = False
    bot = world.add_bot("fuzz_bot")
    user = world.add_account("F")
    world.start(user.id, bot)
    return world, bot.token, user.id


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(sorted(METHODS)), body=bodies, as_form=st.booleans())
async def test_bot_api_never_answers_500(method: str, body: dict[str, Any], as_form: bool) -> None:
    world, token, user_id = world_with_a_dialog()
    body = {k: (user_id if k == "chat_id" and v == 0 else v) for k, v in body.items()}
    app = create_app(SandboxState(world))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        if as_form:
            form = {
                k: v if isinstance(v, str) else __import__("json").dumps(v) for k, v in body.items()
            }
            answer = await http.post(f"/bot{token}/{method}", data=form)
        else:
            answer = await http.post(f"/bot{token}/{method}", json=body)
    assert answer.status_code < 500, answer.text
    data = answer.json()
    assert data["ok"] is (answer.status_code == 200)
    if not data["ok"]:
        assert data["error_code"] == answer.status_code
        assert isinstance(data["description"], str)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(
        [
            "/users",
            "/bots",
            "/chats",
            "/users/{u}/open",
            "/users/{u}/start",
            "/users/{u}/messages",
            "/users/{u}/press",
            "/users/{u}/contact",
            "/users/{u}/mini_app",
            "/users/{u}/invites",
            "/users/{u}/leave",
            "/users/{u}/block",
            "/users/{u}/widget_login",
            "/users/{u}/share_chat",
            "/chats/1/members",
            "/chats/1/bots",
            "/chats/1/upgrade",
        ]
    ),
    body=st.dictionaries(
        st.sampled_from(
            [
                "first_name",
                "username",
                "bot",
                "text",
                "url",
                "payload",
                "chat_id",
                "message_id",
                "invite_link",
                "title",
                "owner_id",
                "user_id",
                "bot_id",
                "type",
                "start_param",
                "id",
                "request_id",
                "new_title",
                "admin_rights",
            ]
        ),
        values,
        max_size=5,
    ),
)
async def test_control_api_never_answers_500(path: str, body: dict[str, Any]) -> None:
    world, _, user_id = world_with_a_dialog()
    app = create_app(SandboxState(world))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        answer = await http.post("/sandbox/api" + path.format(u=user_id), json=body)
    assert answer.status_code < 500, answer.text
