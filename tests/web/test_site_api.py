"""The API for an existing website: its own user ids, names, roles and karma."""

from __future__ import annotations

from tests.harness.stack import API_KEY, Stack

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def test_an_api_key_is_required(stack: Stack) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        answer = await stack.web.get("/api/site/users/42", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"


async def test_upsert_read_link_unlink(stack: Stack) -> None:
    created = await stack.web.put(
        "/api/site/users/site-42",
        json={"display_name": "Ada L.", "role": "moderator", "karma": 120},
        headers=AUTH,
    )
    assert created.status_code == 201
    assert created.json()["linked"] is False
    updated = await stack.web.put(
        "/api/site/users/site-42", json={"display_name": "Ada", "karma": 150}, headers=AUTH
    )
    assert updated.status_code == 200
    assert (updated.json()["user"]["display_name"], updated.json()["user"]["karma"]) == ("Ada", 150)
    assert updated.json()["user"]["id"] == created.json()["user"]["id"]
    offer = await stack.web.post("/api/site/users/site-42/link", headers=AUTH)
    assert offer.status_code == 200
    tg = await stack.new_tg_user("Ada")
    await stack.users.open_link(tg, offer.json()["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    status = (await stack.web.get("/api/site/users/site-42", headers=AUTH)).json()
    assert status["linked"] is True
    assert status["telegram"]["id"] == tg
    assert "Ada" in (await stack.bot_says(tg))[-1]["text"]
    assert (
        await stack.web.delete("/api/site/users/site-42/telegram", headers=AUTH)
    ).status_code == 200
    again = await stack.web.delete("/api/site/users/site-42/telegram", headers=AUTH)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_linked"


async def test_unknown_users_and_bad_fields(stack: Stack) -> None:
    missing = await stack.web.get("/api/site/users/nobody", headers=AUTH)
    assert missing.status_code == 404
    bad_role = await stack.web.put(
        "/api/site/users/x", json={"display_name": "X", "role": "Bad Role!"}, headers=AUTH
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["error"]["field"] == "role"
    huge = await stack.web.put(
        "/api/site/users/x", json={"display_name": "X", "karma": 2**70}, headers=AUTH
    )
    assert huge.status_code == 422
