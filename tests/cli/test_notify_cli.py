"""`tgpass notify` and `tgpass outbox` as a site owner runs them: a broadcast queued, sent
and followed with a progress bar; dead letters listed and queued again."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from tgpass.bootstrap import build
from tgpass.domain.accounts import TelegramProfile
from tgpass.sandbox.server import Sandbox
from tgpass.settings import Settings


async def cli(env: dict[str, str], *args: str) -> tuple[int, Any, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tgpass.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, json.loads(out or b"null"), err.decode()


async def test_notify_sends_with_progress_and_outbox_retries(tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        users = sandbox.users
        assert users is not None
        bot = await users.create_bot("cli_bot")
        values = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
            "bot_token": bot["token"],
            "bot_api_url": sandbox.url,
        }
        services = await build(Settings.from_mapping(values))
        tgs = []
        async with services.uow() as tx:
            for n in range(5):
                tg = int((await users.create_user(f"C{n}"))["id"])
                await users.start(tg, "cli_bot")
                role = "customer" if n < 4 else "staff"
                user = await tx.accounts.create_user(display_name=f"C{n}", role=role)
                profile = TelegramProfile(telegram_id=tg, first_name=f"C{n}")
                # the last customer's chat is one Telegram does not know: a dead letter
                chat = -(10**13) if n == 3 else tg
                await tx.accounts.link_telegram(user.id, profile, chat_id=chat)
                tgs.append(tg)
        await services.close()
        env = {**os.environ, **{f"TGPASS_{k.upper()}": v for k, v in values.items()}}
        code, result, progress = await cli(
            env, "notify", "--role", "customer", "--text", "Sale starts now"
        )
        assert code == 0, progress
        assert (result["recipients"], result["sent"], result["failed"]) == (4, 3, 1)
        assert "[" in progress and "4/4" in progress  # the bar reached the end
        for tg in tgs[:3]:
            got = [m for m in await users.received(tg, "cli_bot") if m["text"] == "Sale starts now"]
            assert len(got) == 1
        staff_got = await users.received(tgs[4], "cli_bot")
        assert all(m["text"] != "Sale starts now" for m in staff_got)  # not a customer
        code, dead, _ = await cli(env, "outbox", "dead")
        assert code == 0
        assert [d["chat_id"] for d in dead] == [-(10**13)]
        assert "chat not found" in dead[0]["last_error"].lower()
        code, retried, _ = await cli(env, "outbox", "retry", str(dead[0]["id"]))
        assert (code, retried) == (0, {"requeued": 1})
        code, _, err = await cli(env, "notify", "--user", "nobody", "--text", "x")
        assert code == 1  # a typed error, as JSON, not a traceback
        assert "Traceback" not in err
