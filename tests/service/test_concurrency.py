"""One code, fifty redemptions at once: exactly one link, on each backend pair."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.harness.draining import drain
from tests.harness.fakes import RecordingTelegram
from tests.harness.site import BACKENDS, backend_settings
from tgpass.bootstrap import build
from tgpass.domain.accounts import TelegramProfile
from tgpass.service.accounts.linking import Linked
from tgpass.service.bot.core import Message
from tgpass.settings import Settings

TOKEN = "7000000001:AAF-concurrency-test-token"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_fifty_redemptions_give_one_link(backend: str, tmp_path: Path) -> None:
    async with backend_settings(backend, tmp_path) as storage:
        telegram = RecordingTelegram()
        services = await build(
            Settings.from_mapping({**storage, "bot_token": TOKEN, "secret_key": "k"}),
            telegram=telegram,
        )
        try:
            user = await services.accounts.create_user(display_name="Owner")
            offer = await services.linking.offer_link(user.id)
            events = [
                Message(
                    update_id=1000 + n,
                    chat_id=6_000_000_000 + n,
                    sender=TelegramProfile(telegram_id=6_000_000_000 + n, first_name=f"T{n}"),
                    text=f"/start {offer.code}",
                )
                for n in range(50)
            ]
            handled = await asyncio.gather(*(services.bot.handle(e) for e in events))
            assert {h.outcome for h in handled} == {"handled"}
            await drain(services)  # replies the flood limits held back, sent by the worker
            link = await services.accounts.telegram_link(user_id=user.id)
            assert link is not None
            winners = [t for t in telegram.sent if "Linked!" in t[1].text]
            losers = [t for t in telegram.sent if "expired or was already used" in t[1].text]
            assert len(winners) == 1
            assert len(losers) == 49
            assert winners[0][0] == link.chat_id
            # the same through the use case directly, on a fresh code: one Linked outcome
            second = await services.linking.offer_link(user.id)
            profile = TelegramProfile(telegram_id=6_100_000_000, first_name="Direct")

            async def redeem() -> object:
                async with services.uow() as tx:
                    return await services.linking.redeem(
                        tx, second.code, profile, profile.telegram_id
                    )

            outcomes = await asyncio.gather(*(redeem() for _ in range(50)))
            assert sum(isinstance(o, Linked) for o in outcomes) == 1
        finally:
            await services.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_duplicated_update_is_handled_once_across_processes(
    backend: str, tmp_path: Path
) -> None:
    async with backend_settings(backend, tmp_path) as storage:
        settings = Settings.from_mapping({**storage, "bot_token": TOKEN, "secret_key": "k"})
        first_telegram, second_telegram = RecordingTelegram(), RecordingTelegram()
        first = await build(settings, telegram=first_telegram)
        # a second "process": its own engine, KV connection and gateway
        second = await build(settings, telegram=second_telegram, migrate_schema=False)
        try:
            event = Message(
                update_id=5,
                chat_id=6_200_000_000,
                sender=TelegramProfile(telegram_id=6_200_000_000, first_name="Dup"),
                text="/help",
            )
            results = await asyncio.gather(first.bot.handle(event), second.bot.handle(event))
            # the database they share records each update once, in the handler's transaction
            assert sorted(r.outcome for r in results) == ["duplicate", "handled"]
            assert len(first_telegram.sent) + len(second_telegram.sent) == 1
        finally:
            await first.close()
            await second.close()
