"""The modules behind the sandbox's HTTP API (world, oidc, sharing, migration, rights) refuse
with its typed errors, so a bad request answers ``{"error": {"code", "message", ...}}`` with
404, 400 or 403, while a KeyError or ValueError escaping them is a bug: a 500, logged. The
Bot API answers what it answered before, in Telegram's words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from telegram import KeyboardButton, KeyboardButtonRequestChat, ReplyKeyboardMarkup

from tgpass.sandbox import membership, migration, sharing
from tgpass.sandbox.errors import Invalid, NotFound
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.sandbox.world import World

from .conftest import Scene

REDIRECT = "https://site.test/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def _users(scene: Scene) -> SandboxUsers:
    assert scene.sandbox.users is not None
    return scene.sandbox.users


def _error(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_the_world_refuses_with_typed_errors() -> None:
    world = World()
    ann = world.add_account("Ann")
    world.add_bot("taken_bot")
    with pytest.raises(NotFound) as missing:
        world.account(ann.id + 1000)
    assert missing.value.details == {"user_id": ann.id + 1000}
    with pytest.raises(NotFound, match=r"There is no bot @nobody_bot\."):
        world.bot_by_username("@nobody_bot")
    with pytest.raises(Invalid, match="is taken"):
        world.add_account("Twin", id=ann.id)
    with pytest.raises(Invalid, match="is taken"):
        world.add_bot("twin_bot", id=ann.id)  # an id is an account's or a bot's, never both
    with pytest.raises(Invalid, match="@taken_bot is taken"):
        world.add_bot("Taken_Bot")
    with pytest.raises(Invalid, match="token"):
        world.add_bot("odd_bot", id=777, token="778:abc")
    assert 777 not in world.bots and ann.id not in world.bots


async def test_creating_users_and_bots_answers_typed_errors(sandbox: Sandbox) -> None:
    assert sandbox.users is not None
    http = sandbox.users.http
    ann = await sandbox.users.create_user("Ann")
    twin = _error(await http.post("/users", json={"first_name": "Twin", "id": ann["id"]}), 400)
    assert twin == {"code": "invalid", "message": f"The id {ann['id']} is taken.", "id": ann["id"]}
    same_id = await http.post("/bots", json={"username": "twin_bot", "id": ann["id"]})
    assert _error(same_id, 400)["id"] == ann["id"]
    await sandbox.users.create_bot("taken_bot")
    taken = _error(await http.post("/bots", json={"username": "taken_bot"}), 400)
    assert taken == {
        "code": "invalid",
        "message": "The username @taken_bot is taken.",
        "username": "taken_bot",
    }
    token = await http.post("/bots", json={"username": "odd_bot", "id": 777, "token": "7:x"})
    assert _error(token, 400)["code"] == "invalid"
    fragment = await http.post(
        "/bots", json={"username": "uri_bot", "oidc_redirect_uris": [REDIRECT + "#top"]}
    )
    assert _error(fragment, 400)["url"] == REDIRECT + "#top"
    nobody = _error(await http.get("/users/1"), 404)
    assert nobody == {
        "code": "not_found",
        "message": "This user is not in the sandbox.",
        "user_id": 1,
    }


async def test_telegram_login_answers_typed_errors(sandbox: Sandbox) -> None:
    assert sandbox.users is not None
    http = sandbox.users.http
    bot = await sandbox.users.create_bot("login_bot", oidc_redirect_uris=[REDIRECT])
    no_phone = await sandbox.users.create_user("Ann")
    params = {
        "client_id": str(bot["id"]),
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid phone",
        "state": "s",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    url = f"{sandbox.url}/auth?{urlencode(params)}"
    approve = f"/users/{no_phone['id']}/oidc/approve"
    phone = await http.post(approve, json={"authorize_url": url, "share_phone_number": True})
    assert _error(phone, 400) == {
        "code": "invalid",
        "message": "This account has no phone number to share.",
        "user_id": no_phone["id"],
    }
    stranger = f"{sandbox.url}/auth?{urlencode({**params, 'client_id': '42'})}"
    unknown = _error(await http.post(approve, json={"authorize_url": stranger}), 400)
    assert unknown["code"] == "invalid" and unknown["client_id"] == "42"
    assert "no bot has the client_id" in unknown["message"]
    elsewhere = f"{sandbox.url}/auth?{urlencode({**params, 'redirect_uri': 'https://x.test/'})}"
    wrong = _error(await http.post(approve, json={"authorize_url": elsewhere}), 400)
    assert wrong["redirect_uri"] == "https://x.test/"
    relative = await http.put(f"/bots/{bot['id']}/oidc", json={"redirect_uris": ["/cb"]})
    assert _error(relative, 400)["url"] == "/cb"


async def _ask_for_a_group(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    button = KeyboardButton(
        "Pick a group", request_chat=KeyboardButtonRequestChat(request_id=7, chat_is_channel=False)
    )
    markup = ReplyKeyboardMarkup([[button]])
    await scene.bot.send_message(scene.user_id, "Which group?", reply_markup=markup)


async def test_sharing_a_chat_answers_typed_errors(scene: Scene) -> None:
    http = scene.api
    path = f"/users/{scene.user_id}/share_chat"
    await _ask_for_a_group(scene)
    gone = _error(await http.post(path, json={"bot": "shop_bot", "request_id": 8}), 404)
    assert gone == {
        "code": "not_found",
        "message": "This button is no longer there.",
        "request_id": 8,
    }
    neither = _error(await http.post(path, json={"bot": "shop_bot", "request_id": 7}), 400)
    assert neither["code"] == "invalid"
    nowhere = await http.post(path, json={"bot": "shop_bot", "request_id": 7, "chat_id": -5})
    assert _error(nowhere, 404) == {
        "code": "not_found",
        "message": "This chat does not exist.",
        "chat_id": -5,
    }
    channel = await _users(scene).create_chat("News", scene.user_id, type="channel")
    unfit = await http.post(
        path, json={"bot": "shop_bot", "request_id": 7, "chat_id": channel["id"]}
    )
    refused = _error(unfit, 403)
    assert refused["code"] == "refused"
    assert refused["message"] == "News is not a chat this bot asks for."
    assert refused["chat_id"] == channel["id"]


async def test_upgrading_a_group_answers_typed_errors(scene: Scene) -> None:
    users = _users(scene)
    other = await users.create_user("Other")
    group = await users.create_chat("Club", scene.user_id, type="group")
    stranger = await scene.api.post(f"/chats/{group['id']}/upgrade", json={"user_id": other["id"]})
    refused = _error(stranger, 403)
    assert refused == {
        "code": "refused",
        "message": "Only a member of Club can upgrade it.",
        "chat_id": group["id"],
        "user_id": other["id"],
    }
    supergroup = await users.upgrade_group(group["id"])
    again = _error(await scene.api.post(f"/chats/{group['id']}/upgrade"), 400)
    assert again["migrate_to_chat_id"] == supergroup["id"]
    not_basic = _error(await scene.api.post(f"/chats/{supergroup['id']}/upgrade"), 400)
    assert not_basic["message"] == "Only a basic group can be upgraded to a supergroup."


async def test_rights_that_do_not_exist_answer_typed_errors(scene: Scene) -> None:
    chat = await _users(scene).create_chat("Club", scene.user_id)
    magic = {"bot_id": scene.bot_info["id"], "admin_rights": {"can_do_magic": True}}
    unknown = _error(await scene.api.post(f"/chats/{chat['id']}/bots", json=magic), 400)
    assert unknown["code"] == "invalid"
    assert unknown["rights"] == ["can_do_magic"]
    # The Bot API still answers in Telegram's words.
    keyboard = {
        "keyboard": [
            [
                {
                    "text": "Pick",
                    "request_chat": {
                        "request_id": 1,
                        "chat_is_channel": False,
                        "bot_administrator_rights": {"can_do_magic": True},
                    },
                }
            ]
        ]
    }
    async with httpx.AsyncClient(base_url=scene.sandbox.url) as http:
        sent = await http.post(
            f"/bot{scene.bot_info['token']}/sendMessage",
            json={"chat_id": scene.user_id, "text": "Pick", "reply_markup": keyboard},
        )
    assert sent.status_code == 400
    assert sent.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse keyboard button: "
        "no such administrator rights: can_do_magic",
    }


def _planted(*args: Any, **kwargs: Any) -> Any:
    nothing: dict[str, Any] = {}
    return nothing["planted"]  # a KeyError, as a bug would raise it


@pytest.mark.parametrize(
    "where",
    ["world", "oidc", "sharing", "migration", "rights"],
)
async def test_a_key_error_in_a_module_is_a_500_not_a_404(
    scene: Scene,
    server_log: list[logging.LogRecord],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    users = _users(scene)
    group = await users.create_chat("Club", scene.user_id, type="group")
    await _ask_for_a_group(scene)
    plant: dict[str, Callable[[], None]] = {
        "world": lambda: monkeypatch.setattr(scene.sandbox.world, "add_account", _planted),
        "oidc": lambda: monkeypatch.setattr(scene.sandbox.state.oidc, "pending", _planted),
        "sharing": lambda: monkeypatch.setattr(sharing, "request_of", _planted),
        "migration": lambda: monkeypatch.setattr(migration, "upgrade_group", _planted),
        "rights": lambda: monkeypatch.setattr(membership, "checked_rights", _planted),
    }
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "world": ("/users", {"first_name": "Ann"}),
        "oidc": (f"/users/{scene.user_id}/oidc/approve", {"request_id": "abc"}),
        "sharing": (f"/users/{scene.user_id}/share_chat", {"bot": "shop_bot", "request_id": 7}),
        "migration": (f"/chats/{group['id']}/upgrade", {}),
        "rights": (f"/chats/{group['id']}/bots", {"bot_id": scene.bot_info["id"]}),
    }
    plant[where]()
    path, body = calls[where]
    answer = await scene.api.post(path, json=body)
    assert _error(answer, 500)["code"] == "internal"
    assert "planted" not in answer.text
    assert [r for r in server_log if r.exc_info and r.exc_info[0] is KeyError]
