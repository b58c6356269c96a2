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

from tgpass.bootstrap import Services
from tgpass.sandbox.server import Sandbox, SandboxUsers
from tgpass.settings import Settings
from tgpass.telegram.gateway import PtbMessenger
from tgpass.telegram.polling import Poller

from .draining import drain
from .site import API_KEY, SITE, running_site, sandbox_bot, sandbox_settings

__all__ = ["API_KEY", "SITE", "Stack", "settings_for", "stack"]

os.environ.setdefault("PTB_TIMEDELTA", "1")


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
    return sandbox_settings(sandbox, token, tmp_path, **overrides)


@pytest.fixture
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The site on SQLite, or on the in-memory stores for a test marked ``memory``."""
    overrides = getattr(request, "param", {})
    memory = request.node.get_closest_marker("memory") is not None
    async with sandbox_bot(
        "example_site_bot", first_name="Example", web_app_url=f"{SITE}/miniapp"
    ) as (sandbox, info):
        settings = settings_for(sandbox, info["token"], tmp_path, **overrides)
        async with running_site(settings, memory=memory) as site:
            assert isinstance(site.services.telegram, PtbMessenger)
            poller = Poller(site.services.telegram.bot, site.services.bot)
            yield Stack(sandbox, site.services, site.web, poller, "example_site_bot", info["token"])
