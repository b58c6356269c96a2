"""Command menus per scope and language, as Telegram keeps them: getMyCommands reads exactly
the scope and language asked for, and a user's app shows their language's menu, else the one
set without a language."""

from __future__ import annotations

import json

import pytest
from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest

from tgpass.sandbox.persist import dump, load
from tgpass.sandbox.world import World

from .conftest import Scene

ENGLISH = [BotCommand("start", "Say hello"), BotCommand("help", "What this bot does")]
RUSSIAN = [BotCommand("start", "Поздороваться"), BotCommand("help", "Что умеет этот бот")]


async def _shown(scene: Scene, language_code: str | None) -> list[str]:
    """The menu descriptions a new user of ``language_code`` sees in the chat with the bot."""
    made = await scene.api.post(
        "/users", json={"first_name": "Reader", "language_code": language_code}
    )
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    assert (await scene.api.post(f"/users/{user_id}/start", json={"bot": "shop_bot"})).is_success
    dialog = (await scene.api.get(f"/users/{user_id}/dialogs/shop_bot")).json()
    return [c["description"] for c in dialog["commands"]]


async def test_menus_are_kept_per_language_and_read_back_exactly(scene: Scene) -> None:
    bot = scene.bot
    assert await bot.set_my_commands(ENGLISH)
    assert await bot.set_my_commands(RUSSIAN, language_code="ru")
    assert await bot.get_my_commands() == tuple(ENGLISH)
    assert await bot.get_my_commands(language_code="ru") == tuple(RUSSIAN)
    assert await bot.get_my_commands(language_code="de") == ()  # none set for it
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.get_my_commands(scope=scope) == ()  # another scope, another menu
    assert await _shown(scene, "ru") == ["Поздороваться", "Что умеет этот бот"]
    assert await _shown(scene, "ru-RU") == ["Поздороваться", "Что умеет этот бот"]
    assert await _shown(scene, "de") == ["Say hello", "What this bot does"]
    assert await _shown(scene, None) == ["Say hello", "What this bot does"]

    assert await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == ()
    assert await bot.get_my_commands() == tuple(ENGLISH)
    assert await _shown(scene, "ru") == ["Say hello", "What this bot does"]


async def test_a_narrower_scope_comes_first_in_the_users_app(scene: Scene) -> None:
    bot = scene.bot
    await bot.set_my_commands(ENGLISH)
    await bot.set_my_commands(
        [BotCommand("start", "Только вам")], scope=BotCommandScopeChat(scene.user_id)
    )
    await bot.set_my_commands(RUSSIAN, scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    dialog = (await scene.api.get(f"/users/{scene.user_id}/dialogs/shop_bot")).json()
    assert [c["description"] for c in dialog["commands"]] == ["Только вам"]
    assert await _shown(scene, "ru") == ["Поздороваться", "Что умеет этот бот"]


@pytest.mark.parametrize("language_code", ["russian", "pt-br", "RU"])
async def test_a_language_code_that_is_not_two_letters_is_refused(
    scene: Scene, language_code: str
) -> None:
    with pytest.raises(BadRequest):
        await scene.bot.set_my_commands(ENGLISH, language_code=language_code)
    assert await scene.bot.get_my_commands() == ()


def test_menus_per_language_are_saved_and_a_menu_saved_before_them_loads() -> None:
    world = World(clock=lambda: 1_767_225_600)
    bot = world.add_bot("keep_bot")
    bot.commands = {"default|": [{"command": "start", "description": "Hi"}], "default|ru": []}
    saved = json.loads(json.dumps(dump(world)))
    assert load(saved).bots[bot.id].commands == bot.commands
    saved["bots"][0]["commands"] = [{"command": "start", "description": "Hi"}]
    assert load(saved).bots[bot.id].commands == {
        "default|": [{"command": "start", "description": "Hi"}]
    }
