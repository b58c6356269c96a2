"""The service's commands, run as a user would: migrate, webhook set / info / delete."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tgpass.sandbox.server import Sandbox


async def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tgpass.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    done = await run("migrate", env={"TGPASS_DATABASE_URL": f"sqlite+aiosqlite:///{database}"})
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "telegram_accounts", "alembic_version"} <= tables
    again = await run("migrate", env={"TGPASS_DATABASE_URL": f"sqlite+aiosqlite:///{database}"})
    assert again.returncode == 0  # already up to date


async def test_webhook_set_info_delete() -> None:
    async with Sandbox() as sandbox:
        assert sandbox.users is not None
        bot = await sandbox.users.create_bot("hook_bot")
        env = {
            "TGPASS_BOT_TOKEN": bot["token"],
            "TGPASS_BOT_API_URL": sandbox.url,
            "TGPASS_PUBLIC_URL": "https://site.example",
            "TGPASS_WEBHOOK_SECRET": "hook_secret-9",
        }
        done = await run("webhook", "set", env=env)
        assert done.returncode == 0, done.stderr
        info = json.loads(done.stdout)
        assert info["url"] == "https://site.example/telegram/webhook"
        assert "chat_member" in info["allowed_updates"]
        registered = sandbox.world.bots[int(bot["id"])].webhook
        assert registered is not None
        assert registered.secret_token == "hook_secret-9"
        assert bot["token"] not in done.stdout + done.stderr
        deleted = await run("webhook", "delete", env=env)
        assert json.loads(deleted.stdout)["url"] == ""
        refused = await run("webhook", "set", env={**env, "TGPASS_WEBHOOK_SECRET": ""})
        assert refused.returncode != 0
        assert "WEBHOOK_SECRET" in refused.stderr


async def test_webhook_set_waits_out_telegrams_faults_or_says_what_failed() -> None:
    refusals: list[int] = []

    def seen(kind: str, answer: Any) -> None:
        if kind == "error":
            refusals.append(answer["error_code"])

    async with Sandbox(on_emit=seen) as sandbox:
        assert sandbox.users is not None
        bot = await sandbox.users.create_bot("faulty_hook_bot")
        env = {
            "TGPASS_BOT_TOKEN": bot["token"],
            "TGPASS_BOT_API_URL": sandbox.url,
            "TGPASS_PUBLIC_URL": "https://site.example",
            "TGPASS_WEBHOOK_SECRET": "hook_secret-9",
        }
        registered = lambda: sandbox.world.bots[int(bot["id"])].webhook  # noqa: E731

        # every call a 429 for 8 s (long enough for the command to start within it)
        await sandbox.users.set_faults(int(bot["id"]), flood_seconds=8)
        waited = await run("webhook", "set", env=env)
        assert waited.returncode == 0, waited.stderr
        assert 429 in refusals  # it met the window, and waited it out
        assert json.loads(waited.stdout)["url"] == "https://site.example/telegram/webhook"
        assert registered() is not None

        await sandbox.users.clear_faults()
        assert (await run("webhook", "delete", env=env)).returncode == 0
        await sandbox.users.set_faults(int(bot["id"]), flood_seconds=600)
        flooded = await run("webhook", "set", env=env)
        assert flooded.returncode != 0
        assert "Telegram asks to wait" in flooded.stderr
        assert registered() is None  # told it failed, and it did

        await sandbox.users.set_faults(int(bot["id"]), error_rate=1.0)
        down = await run("webhook", "set", env=env)
        assert down.returncode != 0
        assert "did not answer getMe after 5 tries" in down.stderr
        for failed in (flooded, down):
            assert "Traceback" not in failed.stderr
            assert bot["token"] not in failed.stdout + failed.stderr
