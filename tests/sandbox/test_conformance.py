"""The conformance checker itself: it must refuse what a Bot API 10.3 client refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tgpass.sandbox import membership
from tgpass.sandbox.observe import observing_every_world
from tgpass.sandbox.server import Sandbox
from tgpass.sandbox.world import World

from .conformance import ConformanceChecker, NonConformant, _check_ptb, check


def _bot_made_admin() -> tuple[World, dict[str, Any]]:
    """The my_chat_member update a bot gets when it is made an administrator."""
    seen: list[tuple[str, Any]] = []
    world = World(on_emit=lambda kind, obj: seen.append((kind, obj)))
    owner = world.add_account("Owner")
    bot = world.add_bot("gate_bot")
    chat = world.add_chat("Club", owner_id=owner.id)
    membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights={"can_invite_users": True})
    (update,) = [obj for kind, obj in seen if kind == "update" and "my_chat_member" in obj]
    return world, update


def test_a_bot_made_admin_gets_an_update_both_libraries_accept() -> None:
    _, update = _bot_made_admin()
    assert update["my_chat_member"]["new_chat_member"]["can_send_welcome_messages"] is False
    check("update", update)


def test_a_removed_required_field_is_refused() -> None:
    _, update = _bot_made_admin()
    broken = copy.deepcopy(update)
    del broken["my_chat_member"]["new_chat_member"]["can_send_welcome_messages"]
    with pytest.raises(NonConformant, match="can_send_welcome_messages"):
        check("update", broken)


def test_a_field_telegram_does_not_have_is_refused() -> None:
    _, update = _bot_made_admin()
    broken = copy.deepcopy(update)
    broken["my_chat_member"]["new_chat_member"]["can_do_magic"] = True
    with pytest.raises(NonConformant, match="can_do_magic"):
        check("update", broken)


def test_python_telegram_bot_refuses_a_user_without_a_name() -> None:
    _, update = _bot_made_admin()
    broken = copy.deepcopy(update)
    del broken["my_chat_member"]["from"]["first_name"]
    with pytest.raises(NonConformant, match="python-telegram-bot"):
        _check_ptb("update", broken)


def test_method_results_are_checked_by_their_method() -> None:
    user = {"id": 5_000_000_001, "is_bot": False, "first_name": "Ann"}
    check("getChatMember", {"status": "member", "user": user})
    with pytest.raises(NonConformant):
        check("getChatMember", {"status": "administrator", "user": user})
    with pytest.raises(NonConformant, match="knows no Bot API method"):
        check("sendTelepathy", True)
    check("error", {"ok": False, "error_code": 429, "description": "x", "parameters": {}})


async def test_every_world_is_watched_and_failures_are_recorded(
    monkeypatch: pytest.MonkeyPatch, telegram_conformance: ConformanceChecker
) -> None:
    """A sandbox that forgets a required field is caught while it serves, however built."""
    checker = ConformanceChecker()
    original = World.member_json

    def forgetful(self: World, chat: Any, user_id: int) -> dict[str, Any]:
        data = original(self, chat, user_id)
        data.pop("can_send_welcome_messages", None)
        return data

    monkeypatch.setattr(World, "member_json", forgetful)
    with observing_every_world(checker):
        async with Sandbox() as sandbox:
            assert sandbox.users is not None
            bot = await sandbox.users.create_bot("gate_bot")
            owner = await sandbox.users.create_user("Owner")
            chat = await sandbox.users.create_chat("Club", owner["id"])
            await sandbox.users.add_bot_to_chat(chat["id"], bot["id"], {"can_invite_users": True})
    assert checker.checked >= 1
    assert any("can_send_welcome_messages" in failure for failure in checker.failures)
    with pytest.raises(NonConformant):
        checker.assert_conformant()
    # the suite-wide checker saw the same failures; they are this test's point, not a fault
    assert telegram_conformance.failures == checker.failures
    telegram_conformance.failures.clear()
