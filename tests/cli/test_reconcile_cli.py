"""`tgpass reconcile` as an operator runs it: the plan printed with --dry-run (nothing
changes), then one pass that makes the change and sends the invite."""

from __future__ import annotations

import os
from pathlib import Path

from tests.harness.gated import ADMIN, bot_made_admin
from tgpass.bootstrap import build
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.gating import ChatRule
from tgpass.sandbox.server import Sandbox
from tgpass.settings import Settings

from .test_notify_cli import cli


async def test_reconcile_prints_the_plan_then_applies_it(tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        users = sandbox.users
        assert users is not None
        bot = await users.create_bot("gate_cli_bot")
        owner = int((await users.create_user("Owner"))["id"])
        chat = await users.create_chat("Karma 100+", owner)
        chat_id = int(chat["id"])
        await users.add_bot_to_chat(chat_id, int(bot["id"]), ADMIN)
        values = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
            "bot_token": bot["token"],
            "bot_api_url": sandbox.url,
        }
        services = await build(Settings.from_mapping(values))
        ann = int((await users.create_user("Ann"))["id"])
        await users.start(ann, "gate_cli_bot")
        async with services.uow() as tx:
            await bot_made_admin(services, tx, chat_id)
            user = await tx.accounts.create_user(display_name="Ann", karma=150)
            profile = TelegramProfile(telegram_id=ann, first_name="Ann")
            await tx.accounts.link_telegram(user.id, profile, chat_id=ann)
        await services.gating.set_rule(chat_id, ChatRule(min_karma=100))
        await services.close()
        env = {**os.environ, **{f"TGPASS_{k.upper()}": v for k, v in values.items()}}

        invite = {"action": "invite", "telegram_id": ann, "user_id": user.id}
        for _ in range(2):  # a dry run changes nothing: the same plan again
            code, planned, err = await cli(env, "reconcile", "--dry-run")
            assert code == 0, err
            assert planned["dry_run"] is True
            assert planned["plans"] == [
                {"chat_id": chat_id, "skipped": None, "changes": [invite], "reports": []}
            ]
        assert await users.received(ann, "gate_cli_bot") == []

        code, done, err = await cli(env, "reconcile")
        assert code == 0, err
        assert (done["applied"], done["failed"]) == (1, 0)
        received = await users.received(ann, "gate_cli_bot")
        assert len(received) == 1 and "Karma 100+" in received[0]["text"]
        code, again, _ = await cli(env, "reconcile", "--dry-run")
        assert again["plans"][0]["changes"] == []  # converged
