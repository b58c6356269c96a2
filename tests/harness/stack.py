"""The service wired to an in-process sandbox Telegram: real HTTP to the Bot API through
python-telegram-bot, the web app through httpx's ASGI transport."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

# Every update and result a sandbox emits in these tests is parsed by aiogram and PTB too.
# every update and result a sandbox emits here is parsed by aiogram and PTB too
from tests.sandbox.conformance import telegram_conformance  # noqa: F401
from tgpass.bootstrap import Services, build
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.settings import Settings
from tgpass.telegram.gateway import PtbMessenger
from tgpass.telegram.polling import Poller
from tgpass.web.app import create_app

from .draining import drain

os.environ.setdefault("PTB_TIMEDELTA", "1")

SITE = "http://testserver"
API_KEY = "site-api-key-for-tests"


@dataclass
class Stack:
    sandbox: Sandbox
    services: Services
    web: httpx.AsyncClient
    poller: Poller
    bot_username: str
    bot_token: str

    @property
    def users(self) -> SandboxUsers:
        assert self.sandbox.users is not None
        return self.sandbox.users

    async def pump(self) -> int:
        """Deliver what Telegram has for the bot (one getUpdates round)."""
        return await self.poller.poll_once(timeout=0)

    async def drain(self, *, seconds: float = 30.0) -> None:
        """Send what the outbox holds, as the worker of a running service does."""
        await drain(self.services, seconds=seconds)

    async def new_tg_user(self, first_name: str = "Зоя 🚀", **details: Any) -> int:
        user = await self.users.create_user(first_name, **details)
        return int(user["id"])

    async def bot_says(self, user_id: int) -> list[dict[str, Any]]:
        dialog = await self.users.dialog(user_id, self.bot_username)
        return [m for m in dialog["messages"] if m["from"]["is_bot"]]

    async def register(
        self, username: str = "ann", password: str = "correct horse"
    ) -> httpx.Response:
        answer = await self.web.post(
            "/api/auth/register", json={"username": username, "password": password}
        )
        assert answer.status_code == 201, answer.text
        self.web.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return answer


def settings_for(sandbox: Sandbox, token: str, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings.from_mapping(
        {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}",
            "kv_url": "memory://",
            "bot_token": token,
            "bot_api_url": sandbox.url,
            "public_url": SITE,
            "webhook_secret": "hook-secret_1",
            "secret_key": "test-secret-key",
            "api_keys": API_KEY,
            "site_name": "Example",
            **overrides,
        }
    )


@pytest.fixture
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    overrides = getattr(request, "param", {})
    async with Sandbox() as sandbox:
        sandbox.world.flood.limits.enabled = False
        assert sandbox.users is not None
        info = await sandbox.users.create_bot(
            "example_site_bot", first_name="Example", web_app_url=f"{SITE}/miniapp"
        )
        settings = settings_for(sandbox, info["token"], tmp_path, **overrides)
        services = await build(settings)
        assert isinstance(services.telegram, PtbMessenger)
        app = create_app(services)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as web:
            poller = Poller(services.telegram.bot, services.bot)
            try:
                yield Stack(sandbox, services, web, poller, "example_site_bot", info["token"])
            finally:
                await services.close()
