"""The world's rules without a server: update queues, opt-in updates, command entities."""

from __future__ import annotations

import pytest

from tgpass.sandbox import join_requests, membership
from tgpass.sandbox.errors import BotApiError
from tgpass.sandbox.world import Account, Bot, Chat, World, command_entities
from tgpass.testing import FrozenClock


def test_get_updates_offset_rules() -> None:
    world = World(clock=lambda: 1_767_225_600)
    bot = world.add_bot("q_bot")
    user = world.add_account("U")
    for n in range(5):
        world.send_text(user.id, bot, f"m{n}")
    ids = [u["update_id"] for u in world.take_updates(bot, None, 100)]
    assert ids == [1, 2, 3, 4, 5]
    assert [u["update_id"] for u in world.take_updates(bot, 3, 1)] == [3]  # confirms 1, 2
    assert [u["update_id"] for u in world.take_updates(bot, -2, 100)] == [4, 5]  # forgets 3
    assert world.take_updates(bot, 6, 100) == []


def test_chat_member_updates_only_when_asked_for() -> None:
    world = World(clock=lambda: 1_767_225_600)
    bot = world.add_bot("gate_bot")
    owner, joiner = world.add_account("O"), world.add_account("J")
    chat = world.add_chat("club", owner_id=owner.id)
    membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights={"can_invite_users": True})
    membership.join(world, joiner.id, chat, None)
    kinds = [next(k for k in u if k != "update_id") for u in bot.updates]
    assert "chat_member" not in kinds
    assert "my_chat_member" in kinds
    bot.allowed_updates = frozenset({"chat_member"})
    membership.leave(world, joiner.id, chat)
    assert [next(k for k in u if k != "update_id") for u in bot.updates][-1] == "chat_member"


def test_command_entities_count_utf16_units() -> None:
    assert command_entities("🚀 /start x") == [{"type": "bot_command", "offset": 3, "length": 6}]
    assert command_entities("/login@tgpass_bot") == [
        {"type": "bot_command", "offset": 0, "length": 17}
    ]
    assert command_entities("a/b") == []


def club(world: World) -> tuple[Bot, Account, Chat]:
    bot = world.add_bot("gate_bot")
    owner = world.add_account("Owner")
    chat = world.add_chat("club", owner_id=owner.id)
    membership.add_bot_to_chat(
        world,
        bot.id,
        chat.id,
        admin_rights={"can_invite_users": True, "can_restrict_members": True},
    )
    return bot, owner, chat


def test_expired_links_refuse_joins() -> None:
    clock = FrozenClock(1_767_225_600)
    world = World(clock=clock)
    bot, _, chat = club(world)
    link = membership.create_invite_link(world, bot, chat, expire_date=int(clock()) + 60)
    early, late = world.add_account("Early"), world.add_account("Late")
    assert join_requests.open_invite(world, early.id, link.invite_link) == "joined"
    clock.advance(61)
    with pytest.raises(PermissionError, match="expired"):
        join_requests.open_invite(world, late.id, link.invite_link)


def test_join_requester_may_be_messaged_for_five_minutes_only() -> None:
    clock = FrozenClock(1_767_225_600)
    world = World(clock=clock)
    bot, _, chat = club(world)
    link = membership.create_invite_link(world, bot, chat, creates_join_request=True)
    asker = world.add_account("Asker")
    assert join_requests.open_invite(world, asker.id, link.invite_link) == "join request sent"
    world.bot_message(bot, asker.id, {"text": "Who are you?"})
    clock.advance(301)
    with pytest.raises(BotApiError, match="can't initiate conversation"):
        world.bot_message(bot, asker.id, {"text": "Still there?"})


def test_banned_users_cannot_rejoin_until_unbanned() -> None:
    world = World(clock=FrozenClock(1_767_225_600))
    bot, owner, chat = club(world)
    link = membership.create_invite_link(world, bot, chat)
    user = world.add_account("U")
    join_requests.open_invite(world, user.id, link.invite_link)
    membership.ban(world, bot, chat, user.id)
    with pytest.raises(PermissionError, match="banned"):
        join_requests.open_invite(world, user.id, link.invite_link)
    with pytest.raises(BotApiError, match="owner"):
        membership.ban(world, bot, chat, owner.id)
    membership.unban(world, bot, chat, user.id, only_if_banned=True)
    assert join_requests.open_invite(world, user.id, link.invite_link) == "joined"
