"""The bot speaks each Telegram user's language, through the sandbox Telegram: replies in the
sender's, notices queued for later (invites, removals) in the recipient's, the default for a
language tgpass has no catalog of, the command menu per language, a site's own wording."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import write_po

from tests.harness.site import running_site, sandbox_bot
from tests.harness.stack import Stack, settings_for
from tests.service.test_gated_chats import Club
from tgpass.telegram.gateway import PtbMessenger
from tgpass.telegram.polling import Poller

GREETING = (
    "Hello, {first_name}! This Telegram account is linked to <b>{display_name}</b> on {site}."
)


async def _said(stack: Stack, telegram_id: int) -> str:
    return str((await stack.bot_says(telegram_id))[-1]["text"])


async def _walk(club: Club, site_id: str, language_code: str | None) -> list[str]:
    """Link, an invite, /start, /login, a removal: what the bot said at each step, with the
    invite's and the sign-in link's buttons."""
    stack = club.stack
    await club.site_user(site_id, karma=150)
    telegram_id = await stack.new_tg_user(site_id.title(), language_code=language_code)
    await club.link(site_id, telegram_id)  # linked, then invited by the reconciler
    linked, invite = await stack.bot_says(telegram_id)
    button = invite["reply_markup"]["inline_keyboard"][0][0]
    said = [linked["text"], invite["text"], button["text"]]
    for command in ("/start", "/login"):
        await stack.users.send(telegram_id, stack.bot_username, command)
        await club.settle()
        reply = (await stack.bot_says(telegram_id))[-1]
        said.append(reply["text"])
    said.append(reply["reply_markup"]["inline_keyboard"][0][0]["text"])
    await stack.users.open_invite(telegram_id, button["url"])
    await club.settle()
    assert await club.status(telegram_id) == "member"
    await club.site_user(site_id, karma=20)
    await club.settle()
    assert await club.status(telegram_id) == "left"
    said.append(await _said(stack, telegram_id))
    return [str(text) for text in said]


async def test_a_russian_user_hears_russian_from_link_to_removal(stack: Stack) -> None:
    club = await Club.open(stack)
    linked, invited, button, greeting, login, sign_in, removed = await _walk(club, "yan", "ru-RU")
    assert linked.startswith("✅ Готово! Здравствуйте, Yan: этот аккаунт Telegram теперь")
    assert greeting.startswith("Здравствуйте, Yan! Этот аккаунт Telegram привязан к учётной")
    assert "/me – ваша учётная запись" in greeting
    assert login == (
        "Вот ссылка для входа на сайт Example. Она сработает один раз и действует 5 минут."
    )
    assert invited.startswith("Теперь вы можете вступить в Karma 100+.")
    assert button == "Подать заявку"
    assert sign_in == "Войти"
    assert removed.startswith("Вас исключили из Karma 100+ (карма 20, а нужно не меньше 100).")


async def test_an_english_user_hears_english(stack: Stack) -> None:
    club = await Club.open(stack)
    linked, invited, button, greeting, login, sign_in, removed = await _walk(club, "ann", "en")
    assert linked.startswith("✅ Linked! Hello, Ann: this Telegram account is now linked")
    assert greeting.startswith("Hello, Ann! This Telegram account is linked to Ann on Example.")
    assert login == "Here is your sign-in link for Example. It works once, for 5 minutes."
    assert invited.startswith("You may now join Karma 100+.")
    assert button == "Ask to join"
    assert sign_in == "Sign in"
    assert removed.startswith("You were removed from Karma 100+ (karma 20, below the 100 needed).")


async def test_a_language_without_a_catalog_hears_the_default(stack: Stack) -> None:
    club = await Club.open(stack)
    await club.site_user("rui", karma=150)
    rui = await stack.new_tg_user("Rui", language_code="pt-br")
    await club.link("rui", rui)
    await stack.users.send(rui, stack.bot_username, "/help")
    await club.settle()
    assert (await _said(stack, rui)).startswith("I link your Telegram account to Example.")


@pytest.mark.parametrize("stack", [{"login_link_ttl": 21 * 60}], indirect=True)
async def test_the_sign_in_links_minutes_take_the_russian_form_of_their_number(
    stack: Stack,
) -> None:
    club = await Club.open(stack)
    await club.site_user("yan", karma=0)
    yan = await stack.new_tg_user("Yan", language_code="ru")
    await club.link("yan", yan)
    await stack.users.send(yan, stack.bot_username, "/login")
    await club.settle()
    assert (await _said(stack, yan)).endswith("действует 21 минуту.")


async def test_a_declined_join_is_told_in_the_linked_users_language(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    link = await club.invite_of(ann)
    await club.site_user("yan", karma=10)
    yan = await stack.new_tg_user("Yan", language_code="ru")
    await club.link("yan", yan)
    await stack.users.open_invite(yan, link)  # a link that is not theirs: declined
    await club.settle()
    declined = await _said(stack, yan)
    assert declined.startswith("Ваша заявка на вступление в Karma 100+ отклонена (карма 10,")


async def test_a_stranger_declined_is_told_in_the_language_their_app_reports(
    stack: Stack,
) -> None:
    """No account, so no profile to read the language from: it comes with the request, and
    is kept with it while the answer waits."""
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    link = await club.invite_of(ann)
    stranger = await stack.new_tg_user("Yan", language_code="ru")
    await stack.users.open_invite(stranger, link)
    await club.settle()
    declined = await _said(stack, stranger)
    assert declined.startswith("Ваша заявка на вступление в Karma 100+ отклонена ("), declined


async def test_the_command_menu_is_set_per_language(stack: Stack) -> None:
    await stack.services.bot.set_commands()
    assert isinstance(stack.services.telegram, PtbMessenger)
    bot = stack.services.telegram.bot
    default = await bot.get_my_commands()
    russian = await bot.get_my_commands(language_code="ru")
    assert (default[0].command, default[0].description) == (
        "start",
        "Link your account, or say hello",
    )
    assert (russian[0].command, russian[0].description) == (
        "start",
        "Привязать аккаунт или поздороваться",
    )
    assert [c.command for c in russian] == [c.command for c in default]
    assert await bot.get_my_commands(language_code="de") == ()  # none of its own
    # what each user's app shows: their language's menu, else the default one
    for language_code, first in (("ru", "Привязать"), ("de", "Link"), ("en", "Link")):
        user = await stack.new_tg_user("Reader", language_code=language_code)
        await stack.users.start(user, stack.bot_username)
        shown = (await stack.users.dialog(user, stack.bot_username))["commands"]
        assert shown[0]["description"].startswith(first), (language_code, shown)


@pytest.fixture
async def site_worded(tmp_path: Path) -> AsyncIterator[Stack]:
    """A site whose TGPASS_TEXTS_DIR words the greeting its own way, and nothing else."""
    catalog = PoCatalog(locale="en")
    catalog.add(GREETING, "Welcome back to {site}, {first_name}: you are <b>{display_name}</b>.")
    folder = tmp_path / "texts" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "bot.po").open("wb") as out:
        write_po(out, catalog)
    async with sandbox_bot("example_site_bot", first_name="Example") as (sandbox, info):
        settings = settings_for(sandbox, info["token"], tmp_path, texts_dir=str(tmp_path / "texts"))
        async with running_site(settings) as site:
            assert isinstance(site.services.telegram, PtbMessenger)
            poller = Poller(site.services.telegram.bot, site.services.bot)
            yield Stack(sandbox, site.services, site.web, poller, "example_site_bot", info["token"])


async def test_a_sites_own_greeting_is_said_and_every_other_message_stays(
    site_worded: Stack,
) -> None:
    stack = site_worded
    club = Club(stack, 0, 0)
    await club.site_user("ann", karma=0)
    ann = await stack.new_tg_user("Ann", language_code="en")
    await club.link("ann", ann)
    await stack.users.send(ann, stack.bot_username, "/start")
    await club.settle()
    greeting = await _said(stack, ann)
    assert greeting.startswith("Welcome back to Example, Ann: you are Ann.\n\n/login – ")
    await stack.users.send(ann, stack.bot_username, "/login")
    await club.settle()
    assert await _said(stack, ann) == (
        "Here is your sign-in link for Example. It works once, for 5 minutes."
    )
