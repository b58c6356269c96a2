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

from tgpass.bootstrap import Services
from tgpass.settings import Settings
from tgpass.verify import sign_init_data, sign_login_widget

from .fakes import RecordingTelegram
from .site import (
    API_KEY,
    MEMORY,
    SITE,
    SITE_AUTH,
    TOKEN,
    WEBHOOK_SECRET,
    backend_settings,
    running_site,
    site_settings,
)

__all__ = ["API_KEY", "SITE", "SITE_AUTH", "TOKEN", "WEBHOOK_SECRET", "Served"]

CLIENT = ("127.0.0.1", 40000)


@dataclass
class Served:
    services: Services
    web: httpx.AsyncClient
    app: Any

    def client(self, host: str = "127.0.0.1") -> httpx.AsyncClient:
        """Another browser, calling from ``host``."""
        transport = httpx.ASGITransport(app=self.app, client=(host, CLIENT[1]))
        return httpx.AsyncClient(transport=transport, base_url=SITE)


def settings_with(base: dict[str, Any], **overrides: Any) -> Settings:
    return site_settings(base, **overrides)


@asynccontextmanager
async def served_settings(
    settings: Settings, *, migrate: bool = True, memory: bool = False
) -> AsyncIterator[Served]:
    async with running_site(
        settings, telegram=RecordingTelegram(), migrate=migrate, memory=memory, client=CLIENT
    ) as site:
        yield Served(site.services, site.web, site.app)


@asynccontextmanager
async def served(kind: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Served]:
    """The site on ``kind``: one of BACKENDS, or MEMORY."""
    async with (
        backend_settings(kind, tmp_path) as base,
        served_settings(settings_with(base, **overrides), memory=kind == MEMORY) as found,
    ):
        yield found


def widget_login(user: dict[str, object]) -> dict[str, str]:
    return sign_login_widget(user, TOKEN, auth_date=int(time.time()))


def init_data(user: dict[str, object] | str) -> str:
    return sign_init_data({"user": user}, TOKEN, auth_date=int(time.time()))
