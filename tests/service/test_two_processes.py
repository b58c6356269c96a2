"""Two service processes over one PostgreSQL and one Redis: a link code issued by one is
redeemed through the other, and a session made by one is good on the other."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from telegram import Bot

from tests.harness.site import backend_settings
from tgpass.sandbox.server import Sandbox, free_port


@contextmanager
def service_process(env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_up(url: str, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(f"{url}/api/me")).status_code == 401:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} did not start"
            await asyncio.sleep(0.2)


async def test_two_processes_share_codes_and_sessions(tmp_path: Path) -> None:
    async with backend_settings("postgres+redis", tmp_path) as storage, Sandbox() as sandbox:
        sandbox.world.flood.limits.enabled = False
        assert sandbox.users is not None
        bot_info = await sandbox.users.create_bot("shared_bot")
        port_a, port_b = free_port(), free_port()
        env = {
            **os.environ,
            **{f"TGPASS_{k.upper()}": v for k, v in storage.items()},
            "TGPASS_BOT_TOKEN": bot_info["token"],
            "TGPASS_BOT_API_URL": sandbox.url,
            "TGPASS_PUBLIC_URL": f"http://127.0.0.1:{port_a}",
            "TGPASS_WEBHOOK_SECRET": "two-process-secret",
            "TGPASS_SECRET_KEY": secrets.token_urlsafe(16),  # the same key in both processes
        }
        with service_process(env, port_a) as site_a, service_process(env, port_b) as site_b:
            await asyncio.gather(wait_up(site_a), wait_up(site_b))  # both migrated at once
            async with Bot(bot_info["token"], base_url=sandbox.bot_api_base) as bot:
                await bot.set_webhook(
                    f"{site_b}/telegram/webhook", secret_token="two-process-secret"
                )
            async with httpx.AsyncClient(base_url=site_a) as a:
                signed = await a.post(
                    "/api/auth/register", json={"username": "ann", "password": "correct horse"}
                )
                assert signed.status_code == 201
                offer = await a.post(
                    "/api/link", headers={"X-CSRF-Token": signed.json()["csrf_token"]}
                )
                tg = int((await sandbox.users.create_user("Ann"))["id"])
                await sandbox.users.open_link(tg, offer.json()["url"])
                await sandbox.users.start(tg, "shared_bot")  # delivered to process B
                deadline = time.monotonic() + 20
                while not (await a.get("/api/link")).json()["linked"]:
                    assert time.monotonic() < deadline, "process B did not redeem A's code"
                    await asyncio.sleep(0.1)
                cookies = dict(a.cookies)
            async with httpx.AsyncClient(base_url=site_b, cookies=cookies) as b:
                me = await b.get("/api/me")
                assert me.status_code == 200
                assert me.json()["user"]["username"] == "ann"
                assert me.json()["telegram"]["id"] == tg
