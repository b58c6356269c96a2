"""A site without a Telegram behind it (a recording messenger) and a browser for its pages:
enough for the forms, their CSRF tokens and where a sign-in lands."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx

from tests.harness.fakes import RecordingTelegram
from tgpass.bootstrap import Services, build
from tgpass.settings import Settings
from tgpass.web.app import create_app

SITE = "http://testserver"
TOKEN = "123456789:AAbbccddeeffgghhiijjkkllmmnnooppqqr"
PASSWORD = "correct horse"


def field(html: str, name: str) -> str:
    """The value of the form field ``name`` in a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no {name} field"
    return unescape(found.group(1))


@dataclass
class PageSite:
    services: Services
    web: httpx.AsyncClient

    async def register(self, username: str = "ann") -> str:
        """A new account, signed in by the API; its session's CSRF token."""
        answer = await self.web.post(
            "/api/auth/register", json={"username": username, "password": PASSWORD}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["csrf_token"])


@asynccontextmanager
async def page_site(tmp_path: Path) -> AsyncIterator[PageSite]:
    settings = Settings.from_mapping(
        {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'pages.sqlite3'}",
            "kv_url": "memory://",
            "bot_token": TOKEN,
            "bot_username": "example_site_bot",
            "public_url": SITE,
            "secret_key": "test-secret-key",
            "worker": False,
        }
    )
    services = await build(settings, telegram=RecordingTelegram())
    transport = httpx.ASGITransport(app=create_app(services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as web:
            yield PageSite(services, web)
    finally:
        await services.close()
