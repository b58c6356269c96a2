"""The sandbox's own HTTP API answers errors in tgpass's shape, worded for the person at the
phone; the Bot API's paths answer as Telegram does; a browser at a wrong address gets a page
leading to the phone; a bug is a 500 with its traceback logged, never a 404."""

from __future__ import annotations

import logging

import httpx
import pytest

from tgpass.sandbox.server import Sandbox

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_a_wrong_address_answers_in_tgpass_shape(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        missing = await http.get("/sandbox/api/no/such/thing")
        wrong_method = await http.delete("/sandbox/api/info")
        invalid = await http.post("/sandbox/api/users", json={"first_name": ""})
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {
            "code": "not_found",
            "message": "There is nothing at this address.",
            "path": "/sandbox/api/no/such/thing",
        }
    }
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["allow"]
    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["code"] == "invalid_input"
    assert [d["field"] for d in error["details"]] == ["first_name"]


async def test_the_bot_api_keeps_telegrams_envelope(sandbox: Sandbox) -> None:
    bot = sandbox.world.add_bot("envelope_bot")
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        no_method = await http.get(f"/bot{bot.token}", headers={"accept": BROWSER})
        unknown = await http.post(f"/bot{bot.token}/noSuchMethod")
        stranger = await http.post("/bot1:nope/getMe")
    assert no_method.status_code == 404
    assert no_method.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert stranger.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_a_browser_at_a_wrong_address_gets_a_page_leading_to_the_phone(
    sandbox: Sandbox,
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        page = await http.get("/phone", headers={"accept": BROWSER})
        as_fetch = await http.get("/phone", headers={"accept": "*/*"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/"' in page.text
    assert "Open the phone" in page.text
    assert as_fetch.json()["error"]["code"] == "not_found"


async def test_a_bug_is_a_500_with_its_traceback_logged(
    sandbox: Sandbox, server_log: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = sandbox.world.add_account("Ann")

    def broken(user_id: int) -> list[object]:
        chats: dict[str, object] = {}
        return [chats["missing"]]  # a KeyError: once answered "404 not found"

    monkeypatch.setattr(sandbox.state.users, "chats", broken)
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        answer = await http.get(f"/sandbox/api/users/{user.id}/chats")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert "missing" not in answer.text  # the details are in the log, not shown to people
    logged = [r for r in server_log if r.exc_info and r.exc_info[0] is KeyError]
    assert logged, [r.getMessage() for r in server_log]


async def test_a_value_error_from_a_bug_is_a_500_not_a_400(
    sandbox: Sandbox, server_log: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = sandbox.world.add_account("Ann")

    def broken(user_id: int, bot: str, payload: str | None) -> dict[str, object]:
        return {"count": int("not a number")}  # a ValueError, not the sandbox's Invalid

    monkeypatch.setattr(sandbox.state.users, "press_start", broken)
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        answer = await http.post(f"/sandbox/api/users/{user.id}/start", json={"bot": "any_bot"})
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    logged = [r for r in server_log if r.exc_info and r.exc_info[0] is ValueError]
    assert logged, [r.getMessage() for r in server_log]


async def test_the_phone_is_never_shown_a_code_or_a_token(sandbox: Sandbox) -> None:
    assert sandbox.users is not None
    http = sandbox.users.http
    gone = await http.get("/oidc/requests/B1OcYQm2t0kJ")
    assert gone.status_code == 404
    assert gone.json()["error"] == {
        "code": "not_found",
        "message": "This sign-in request has expired or was already answered.",
        "request_id": "B1OcYQm2t0kJ",
    }
    user = await sandbox.users.create_user("Ann")
    approve = await http.post(
        f"/users/{user['id']}/oidc/approve", json={"request_id": "B1OcYQm2t0kJ"}
    )
    assert approve.json()["error"]["message"] == gone.json()["error"]["message"]
    nobody = await http.post(f"/users/{user['id']}/start", json={"bot": "nobody_bot"})
    assert nobody.json()["error"] == {
        "code": "not_found",
        "message": "There is no bot @nobody_bot.",
        "bot": "nobody_bot",
    }
    nowhere = await http.post(f"/users/{user['id']}/open", json={"url": "https://t.me/"})
    assert nowhere.json()["error"]["message"] == "This link leads to no bot or chat."
    await sandbox.users.create_bot("talk_bot")
    empty = await http.post(f"/users/{user['id']}/messages", json={"bot": "talk_bot", "text": " "})
    assert empty.status_code == 400
    assert empty.json()["error"] == {"code": "invalid", "message": "Type a message first."}


async def test_the_sandbox_has_a_favicon(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        icon = await http.get("/favicon.ico")
        phone = await http.get("/")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content.startswith(b"\x00\x00\x01\x00")  # an ICO
    assert '<link rel="icon" href="/favicon.ico">' in phone.text
