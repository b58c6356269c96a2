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
import pytest

from tgpass.bootstrap import Services

from .fakes import RecordingTelegram
from .site import SITE, TOKEN, running_site, site_settings, sqlite_settings

__all__ = ["SITE", "TOKEN", "PageSite", "field", "page_site", "site"]

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
    settings = site_settings(
        sqlite_settings(tmp_path, "pages.sqlite3"), api_keys="", webhook_secret="", worker=False
    )
    async with running_site(settings, telegram=RecordingTelegram()) as made:
        yield PageSite(made.services, made.web)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[PageSite]:
    """A page site, for the modules that import this fixture."""
    async with page_site(tmp_path) as made:
        yield made
