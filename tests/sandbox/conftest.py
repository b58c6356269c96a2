"""A running sandbox per test, and a bot with a user who can talk to it."""

from __future__ import annotations

import os

# python-telegram-bot: durations as timedelta now, as they will be by default.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from telegram import Bot

from tgpass.sandbox.server import Sandbox

from .conformance import telegram_conformance

__all__ = ["Scene", "sandbox", "scene", "server_log", "telegram_conformance"]


@dataclass
class Scene:
    sandbox: Sandbox
    api: httpx.AsyncClient
    bot: Bot
    bot_info: dict[str, Any]
    user: dict[str, Any]

    @property
    def user_id(self) -> int:
        return int(self.user["id"])

    async def act(self, path: str, body: dict[str, Any]) -> Any:
        answer = await self.api.post(f"/users/{self.user_id}/{path}", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        yield sb


@pytest.fixture
async def scene(sandbox: Sandbox) -> AsyncIterator[Scene]:
    assert sandbox.users is not None
    api = sandbox.users.http
    bot_info = (
        await api.post(
            "/bots",
            json={
                "username": "shop_bot",
                "first_name": "Shop",
                "web_app_url": "http://127.0.0.1:9/app",
            },
        )
    ).json()
    user = (
        await api.post(
            "/users",
            json={"first_name": "Зоя 🚀", "username": "zoya", "phone_number": "+15550001"},
        )
    ).json()
    async with Bot(bot_info["token"], base_url=sandbox.bot_api_base) as bot:
        yield Scene(sandbox, api, bot, bot_info, user)


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs about failed requests (its logger does not reach the root's)."""
    kept = _Kept()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(kept)
    try:
        yield kept.records
    finally:
        logger.removeHandler(kept)
