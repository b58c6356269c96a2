"""Notification delivery against the sandbox Telegram with Telegram's flood limits on.

Run: python -m bench.notify   (part of make bench)

The sandbox runs as its own process (`tgpass sandbox`, limits at Telegram's figures). This
process is the one worker: it queues a broadcast to N started, linked users and runs the
outbox sender until it is done. The rate is read from the sandbox's own delivery times
(first to last message received), and divided by the configured bot limit:

- normal: 30 messages/s per bot (target: ratio >= 0.95);
- paid broadcast (allow_paid_broadcast, Bot API 7.11): 1000/s (target: >= 900 messages/s).

Every user's inbox is then counted: lost and duplicated must both be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tgpass.bootstrap import build
from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import OutgoingMessage
from tgpass.sandbox.server import free_port
from tgpass.service.notify.notifications import Audience
from tgpass.settings import Settings

BOT = "bench_notify_bot"


async def wait_until_up(http: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            (await http.get("/sandbox/api/info")).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def run(base: str, users: int, *, paid: bool, workdir: Path) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = "/sandbox/api"
        name = f"{BOT}_{'paid' if paid else 'normal'}"
        bot = (await http.post(f"{api}/bots", json={"username": name})).json()
        ids = []
        for n in range(users):
            user = (await http.post(f"{api}/users", json={"first_name": f"B{n}"})).json()
            started = await http.post(f"{api}/users/{user['id']}/start", json={"bot": name})
            started.raise_for_status()
            ids.append(int(user["id"]))
        settings = Settings.from_mapping(
            {
                "database_url": f"sqlite+aiosqlite:///{workdir / f'{name}.sqlite3'}",
                "bot_token": bot["token"],
                "bot_api_url": base,
                "paid_broadcast": paid,
            }
        )
        services = await build(settings)
        try:
            async with services.uow() as tx:
                for n, tg in enumerate(ids):
                    made = await tx.accounts.create_user(display_name=f"B{n}")
                    profile = TelegramProfile(telegram_id=tg, first_name=f"B{n}")
                    await tx.accounts.link_telegram(made.id, profile, chat_id=tg)
            text = f"bench {name}"
            accepted = await services.notifications.broadcast(
                OutgoingMessage(text, parse_mode=None), Audience()
            )
            sending = asyncio.create_task(services.sender.run())
            while (await services.notifications.status(accepted.id)).status != "done":
                await asyncio.sleep(0.2)
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
            limit = services.sender.config.bot_rate
            pauses = services.metrics.pauses._value.get()
        finally:
            await services.close()
        times, lost, duplicated = [], 0, 0
        for tg in ids:
            inbox = (await http.get(f"{api}/users/{tg}/received", params={"bot": name})).json()
            mine = [m for m in inbox if m["text"] == text]
            lost += not mine
            duplicated += max(0, len(mine) - 1)
            times += [m["date"] for m in mine]
        elapsed = max(times) - min(times)
        rate = (len(times) - 1) / elapsed if elapsed > 0 else float("inf")
        return {
            "messages": users,
            "limit": limit,
            "rate": rate,
            "ratio": rate / limit,
            "lost": lost,
            "duplicated": duplicated,
            "pauses": pauses,
        }


async def main_async(users: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            await wait_until_up(http)
        with tempfile.TemporaryDirectory() as workdir:
            results = {
                "normal": await run(base, users, paid=False, workdir=Path(workdir)),
                "paid broadcast": await run(base, users, paid=True, workdir=Path(workdir)),
            }
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(f"notify: {users}-message broadcast, sandbox limits at Telegram's figures")
    print(f"{'mode':<16}{'limit/s':>9}{'rate/s':>9}{'ratio':>8}{'lost':>6}{'dup':>5}{'429s':>6}")
    for mode, r in results.items():
        print(
            f"{mode:<16}{r['limit']:>9.0f}{r['rate']:>9.1f}{r['ratio']:>8.3f}"
            f"{r['lost']:>6.0f}{r['duplicated']:>5.0f}{r['pauses']:>6.0f}"
        )
    normal, paid = results["normal"], results["paid broadcast"]
    print(
        f"targets: normal ratio >= 0.95: {'met' if normal['ratio'] >= 0.95 else 'MISSED'}; "
        f"paid >= 900/s: {'met' if paid['rate'] >= 900 else 'MISSED'}; "
        f"0 lost, 0 duplicated: "
        f"{'met' if not any(r['lost'] or r['duplicated'] for r in results.values()) else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    asyncio.run(main_async(parser.parse_args().users))


if __name__ == "__main__":
    main()
