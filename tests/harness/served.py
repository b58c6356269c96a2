"""The web app over real stores and a recording Telegram (no sandbox): quick to start, for
tests of the edge (input, limits, failures, throttling) on each backend."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tgpass.bootstrap import Services, build
from tgpass.settings import Settings
from tgpass.verify import sign_init_data, sign_login_widget
from tgpass.web.app import create_app

from .backends import backend_settings
from .fakes import RecordingTelegram

SITE = "http://testserver"
TOKEN = "123456789:AAbbccddeeffgghhiijjkkllmmnnooppqqr"
API_KEY = "site-api-key-for-tests"
SITE_AUTH = {"Authorization": f"Bearer {API_KEY}"}
WEBHOOK_SECRET = "hook-secret_1"


@dataclass
class Served:
    services: Services
    web: httpx.AsyncClient
    app: Any

    def client(self, host: str = "127.0.0.1") -> httpx.AsyncClient:
        """Another browser, calling from ``host``."""
        transport = httpx.ASGITransport(app=self.app, client=(host, 40000))
        return httpx.AsyncClient(transport=transport, base_url=SITE)


def settings_with(base: dict[str, Any], **overrides: Any) -> Settings:
    return Settings.from_mapping(
        {
            "bot_token": TOKEN,
            "bot_username": "example_site_bot",
            "public_url": SITE,
            "secret_key": "test-secret-key",
            "api_keys": API_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            **base,
            **overrides,
        }
    )


@asynccontextmanager
async def served_settings(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Served]:
    services = await build(settings, telegram=RecordingTelegram(), migrate_schema=migrate)
    app = create_app(services)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as web:
            yield Served(services, web, app)
    finally:
        await services.close()


@asynccontextmanager
async def served(kind: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Served]:
    async with (
        backend_settings(kind, tmp_path) as base,
        served_settings(settings_with(base, **overrides)) as found,
    ):
        yield found


def widget_login(user: dict[str, object]) -> dict[str, str]:
    return sign_login_widget(user, TOKEN, auth_date=int(time.time()))


def init_data(user: dict[str, object] | str) -> str:
    return sign_init_data({"user": user}, TOKEN, auth_date=int(time.time()))
