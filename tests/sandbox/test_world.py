"""The world's rules without a server: update queues, opt-in updates, command entities."""

from __future__ import annotations

from tgpass.sandbox import membership
from tgpass.sandbox.world import World, command_entities


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
