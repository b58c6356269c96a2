"""The use cases run on the in-memory stores (``build(stores=memory_stores())``): a site
user links Telegram through the bot and gets a notification, with no database at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness.draining import drain
from tests.harness.fakes import RecordingTelegram
from tgpass.bootstrap import Services, build, memory_stores
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.service.bot.core import Message
from tgpass.settings import Settings

TOKEN = "7000000004:AAF-in-memory-token"


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    settings = Settings.from_mapping({"bot_token": TOKEN, "database_url": "sqlite+aiosqlite:///"})
    built = await build(settings, stores=memory_stores(), telegram=RecordingTelegram())
    yield built
    await built.close()


async def test_link_and_notify_with_no_database(services: Services) -> None:
    assert services.engine is None  # nothing SQL was made, though the settings name SQLite
    found, created = await services.site.upsert("u-1", display_name="Ann", karma=5)
    assert created
    offer = await services.site.offer_link("u-1")
    ann = TelegramProfile(telegram_id=5_000_000_001, first_name="Ann")
    start = Message(update_id=1, chat_id=ann.telegram_id, sender=ann, text=f"/start {offer.code}")
    assert (await services.bot.handle(start)).outcome == "handled"
    link = await services.linking.link_of(found.user.id)
    assert link is not None and link.profile.telegram_id == ann.telegram_id
    await services.notifications.send(found.user, OutgoingMessage("Order shipped", None))
    await drain(services)
    telegram = services.telegram
    assert isinstance(telegram, RecordingTelegram)
    assert "Order shipped" in telegram.texts_to(ann.telegram_id)
    await services.probe_stores()  # the readiness probe holds on memory too
