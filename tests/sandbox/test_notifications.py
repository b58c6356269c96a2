"""What a notification sender meets: flood limits (plain and paid broadcast), faults on
sendMessage, groups upgraded to supergroups, and an exact record of what users received."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import ChatMigrated, NetworkError, RetryAfter

from tgpass.sandbox.errors import BotApiError
from tgpass.sandbox.limits import FloodControl, FloodLimits
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.testing import FrozenClock

from .conftest import Scene


def test_paid_broadcast_has_its_own_bot_wide_budget() -> None:
    clock = FrozenClock(1000)
    flood = FloodControl(FloodLimits(), clock)
    for chat in range(30):
        flood.take(1, chat, group=False)
    with pytest.raises(BotApiError):
        flood.take(1, 30, group=False)
    for chat in range(30, 1030):  # a thousand more in the same second, paid
        flood.take(1, chat, group=False, paid=True)
    with pytest.raises(BotApiError):
        flood.take(1, 5000, group=False, paid=True)
    clock.advance(1)
    for _ in range(3):  # the private chat's burst still holds a paid message back
        flood.take(1, 7000, group=False, paid=True)
    with pytest.raises(BotApiError):
        flood.take(1, 7000, group=False, paid=True)


def test_scale_multiplies_every_rate() -> None:
    clock = FrozenClock(1000)
    flood = FloodControl(FloodLimits(scale=0.1), clock)
    for chat in range(3):
        flood.take(1, chat, group=False)
    with pytest.raises(BotApiError) as caught:
        flood.take(1, 3, group=False)  # 3/s per bot, scaled from 30
    assert caught.value.parameters == {"retry_after": 1}
    for _ in range(3):
        flood.take(2, 10, group=False)  # another bot: the burst of one private chat
    clock.advance(1)
    with pytest.raises(BotApiError) as caught:
        flood.take(2, 10, group=False)  # 0.1/s: a token every 10 s
    assert caught.value.parameters == {"retry_after": 9}


async def _started_users(sandbox: Sandbox, bot: str, count: int) -> list[int]:
    users = sandbox.users
    assert users is not None
    ids = []
    for n in range(count):
        user = await users.create_user(f"Reader {n}")
        await users.start(user["id"], bot)
        ids.append(int(user["id"]))
    return ids


async def test_allow_paid_broadcast_lifts_the_bot_wide_limit(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    await users.set_limits(bot_per_second=5)
    readers = await _started_users(scene.sandbox, "shop_bot", 20)

    async def send_free() -> None:
        for reader in readers:
            await scene.bot.send_message(reader, "free")

    with pytest.raises(RetryAfter):
        await send_free()
    for reader in readers:
        await scene.bot.send_message(reader, "paid", allow_paid_broadcast=True)
    received = await users.received(readers[-1], "shop_bot")
    assert [(r["text"], r["paid_broadcast"]) for r in received] == [("paid", True)]


async def test_limits_take_telegrams_figures_by_default(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    scaled = await users.set_limits(scale=0.5, group_per_minute=10)
    assert (scaled["scale"], scaled["group_per_minute"], scaled["bot_per_second"]) == (0.5, 10, 30)
    assert await users.limits() == scaled
    telegram = await users.set_limits()
    assert telegram == {
        "enabled": True,
        "bot_per_second": 30.0,
        "private_per_second": 1.0,
        "private_burst": 3.0,
        "group_per_minute": 20.0,
        "paid_broadcast_per_second": 1000.0,
        "scale": 1.0,
    }


async def test_received_records_every_delivery_with_its_time(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    await scene.act("start", {"bot": "shop_bot"})
    before = time.time()
    sent = [await scene.bot.send_message(scene.user_id, f"note {n}") for n in range(3)]
    with pytest.raises(RetryAfter):  # the fourth is over the private burst: not delivered
        await scene.bot.send_message(scene.user_id, "too many")
    await scene.bot.delete_message(scene.user_id, sent[0].message_id)  # delivered all the same
    received = await users.received(scene.user_id, "shop_bot")
    assert [r["text"] for r in received] == ["note 0", "note 1", "note 2"]
    assert [r["message_id"] for r in received] == [m.message_id for m in sent]
    assert {r["chat_id"] for r in received} == {scene.user_id}
    dates = [r["date"] for r in received]
    assert isinstance(dates[0], float)
    assert before <= dates[0] <= dates[1] <= dates[2] <= time.time()
    assert [r["text"] for r in await users.received(scene.user_id, since=dates[1])] == [
        "note 1",
        "note 2",
    ]
    assert await users.received(scene.user_id, "shop_bot", since=time.time() + 1) == []


async def test_faults_apply_to_send_message_and_deliver_nothing(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    await users.set_limits(enabled=False)
    await scene.act("start", {"bot": "shop_bot"})
    bot_id = int(scene.bot_info["id"])
    await users.set_faults(bot_id, error_rate=1.0)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await scene.bot.send_message(scene.user_id, "lost")
    await users.set_faults(bot_id, flood_seconds=30)
    with pytest.raises(RetryAfter) as caught:
        await scene.bot.send_message(scene.user_id, "held back")
    assert 29 <= caught.value.retry_after.total_seconds() <= 30  # type: ignore[union-attr]
    await users.clear_faults()
    await scene.bot.send_message(scene.user_id, "through")
    assert [r["text"] for r in await users.received(scene.user_id, "shop_bot")] == ["through"]


async def _group_with_bot(users: SandboxUsers, bot_id: int, owner_id: int) -> int:
    chat = await users.create_chat("Book club", owner_id, type="group")
    await users.add_bot_to_chat(chat["id"], bot_id)
    return int(chat["id"])


async def test_an_upgraded_group_answers_with_its_new_id(scene: Scene) -> None:
    users = scene.sandbox.users
    assert users is not None
    old = await _group_with_bot(users, int(scene.bot_info["id"]), scene.user_id)
    await scene.bot.send_message(old, "before")
    supergroup = await users.upgrade_group(old)
    new = int(supergroup["id"])
    assert (supergroup["type"], supergroup["migrate_from_chat_id"]) == ("supergroup", old)
    assert str(new).startswith("-100")
    with pytest.raises(ChatMigrated) as caught:
        await scene.bot.send_message(old, "after")
    assert caught.value.new_chat_id == new
    assert (await scene.bot.send_message(new, "after")).chat.id == new
    assert (await scene.bot.get_chat_member(new, scene.user_id)).status == "creator"
    messages = [u.message for u in await scene.bot.get_updates() if u.message]
    migrations = [(m.chat.id, m.migrate_to_chat_id, m.migrate_from_chat_id) for m in messages]
    assert migrations[-2:] == [(old, new, None), (new, None, old)]
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await users.upgrade_group(new)
    assert "Only a basic group" in refused.value.response.json()["error"]["message"]


async def test_the_migration_error_envelope(sandbox: Sandbox) -> None:
    users = sandbox.users
    assert users is not None
    bot = await users.create_bot("notes_bot")
    owner = await users.create_user("Owner")
    old = await _group_with_bot(users, bot["id"], owner["id"])
    new = (await users.upgrade_group(old))["id"]
    answer = await users.http.post(
        f"{sandbox.bot_api_base}{bot['token']}/sendMessage", json={"chat_id": old, "text": "x"}
    )
    body: dict[str, Any] = answer.json()
    assert (answer.status_code, body) == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": new},
        },
    )
    async with Bot(bot["token"], base_url=sandbox.bot_api_base) as client:
        with pytest.raises(ChatMigrated):
            await client.get_chat(old)
