"""Two service instances over one PostgreSQL and one Redis (each with its own engine, pool,
Redis client and bot client, as two processes have), then two real processes, reconciling the
same chat at once: every eligible person is invited once, every unqualified member removed
once."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

from tests.cli.test_notify_cli import cli
from tests.harness.gated import ADMIN, bot_made_admin
from tests.harness.site import backend_settings
from tgpass.bootstrap import build
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.gating import ChatRule
from tgpass.sandbox import membership
from tgpass.sandbox.server import Sandbox
from tgpass.settings import Settings


async def test_two_services_neither_double_invite_nor_double_remove(tmp_path: Path) -> None:
    async with backend_settings("postgres+redis", tmp_path) as storage, Sandbox() as sandbox:
        sandbox.world.flood.limits.enabled = False
        users = sandbox.users
        assert users is not None
        calls: Counter[str] = Counter()
        sandbox.world.observers.add(lambda kind, _: calls.update([kind]))
        bot = await users.create_bot("twin_bot")
        owner = int((await users.create_user("Owner"))["id"])
        chat_id = int((await users.create_chat("Karma 100+", owner))["id"])
        await users.add_bot_to_chat(chat_id, int(bot["id"]), ADMIN)
        settings = Settings.from_mapping(
            {**storage, "bot_token": bot["token"], "bot_api_url": sandbox.url, "secret_key": "k"}
        )
        first = await build(settings)
        second = await build(settings, migrate_schema=False)
        try:
            world_chat = sandbox.world.chat(chat_id)
            eligible, unqualified = [], []
            async with first.uow() as tx:
                await bot_made_admin(first, tx, chat_id)
                for n in range(20):
                    tg = int((await users.create_user(f"U{n}"))["id"])
                    await users.start(tg, "twin_bot")
                    karma = 150 if n % 2 else 10
                    user = await tx.accounts.create_user(display_name=f"U{n}", karma=karma)
                    profile = TelegramProfile(telegram_id=tg, first_name=f"U{n}")
                    await tx.accounts.link_telegram(user.id, profile, chat_id=tg)
                    if karma >= 100:
                        eligible.append(tg)
                    else:  # in the chat already, but not qualified: to be removed
                        membership.set_status(sandbox.world, world_chat, tg, "member", actor_id=tg)
                        await tx.members.record(chat_id, tg, "member", now=0.0)
                        unqualified.append(tg)
            await first.gating.set_rule(chat_id, ChatRule(min_karma=100))

            for _ in range(5):  # both at once, again and again
                await asyncio.gather(first.gating.reconcile(), second.gating.reconcile())

            assert calls["createChatInviteLink"] == len(eligible) == 10
            assert calls["banChatMember"] == len(unqualified) == 10
            assert calls["unbanChatMember"] == 10
            for tg in unqualified:
                assert tg not in world_chat.members  # out, and not banned
            audit = Counter(e.action for e in await second.gating.audit_log(limit=1000))
            assert (audit["invite"], audit["remove"]) == (10, 10)
        finally:
            await first.close()
            await second.close()


async def test_two_reconciler_processes_at_once_act_once(tmp_path: Path) -> None:
    """The same, with two real processes (`tgpass reconcile`, run twice at once, three times)."""
    async with backend_settings("postgres+redis", tmp_path) as storage, Sandbox() as sandbox:
        sandbox.world.flood.limits.enabled = False
        users = sandbox.users
        assert users is not None
        calls: Counter[str] = Counter()
        sandbox.world.observers.add(lambda kind, _: calls.update([kind]))
        bot = await users.create_bot("twin_process_bot")
        owner = int((await users.create_user("Owner"))["id"])
        chat_id = int((await users.create_chat("Karma 100+", owner))["id"])
        await users.add_bot_to_chat(chat_id, int(bot["id"]), ADMIN)
        values = {**storage, "bot_token": bot["token"], "bot_api_url": sandbox.url}
        values["secret_key"] = "shared"
        services = await build(Settings.from_mapping(values))
        try:
            async with services.uow() as tx:
                await bot_made_admin(services, tx, chat_id)
                for n in range(8):
                    tg = int((await users.create_user(f"P{n}"))["id"])
                    await users.start(tg, "twin_process_bot")
                    user = await tx.accounts.create_user(display_name=f"P{n}", karma=150)
                    profile = TelegramProfile(telegram_id=tg, first_name=f"P{n}")
                    await tx.accounts.link_telegram(user.id, profile, chat_id=tg)
            await services.gating.set_rule(chat_id, ChatRule(min_karma=100))
        finally:
            await services.close()
        env = {**os.environ, **{f"TGPASS_{k.upper()}": v for k, v in values.items()}}
        answers = []
        for _ in range(3):
            answers += await asyncio.gather(cli(env, "reconcile"), cli(env, "reconcile"))
        assert all(code == 0 for code, _, _ in answers), [err for _, _, err in answers]
        applied = sum(out.get("applied", 0) for _, out, _ in answers)
        assert applied == 8
        assert calls["createChatInviteLink"] == 8  # each person invited once, by one process
