"""A store that cannot be reached, or hangs, is a 503 JSON ``unavailable`` with Retry-After
within ``store_timeout``, never a text/plain 500; nothing is half-written; /healthz says the
process lives, /readyz whether its stores answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.served import SITE, SITE_AUTH, Served, served, served_settings, settings_with
from tgpass.errors import Unavailable
from tgpass.service.accounts.sessions import SessionService
from tgpass.store.kv.memory import MemoryStore
from tgpass.web.app import create_app

CLOSED = "127.0.0.1:9"  # discard: nothing listens there


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """host:port of a server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"{host}:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()


def _lite(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'tgpass.sqlite3'}",
        "kv_url": "memory://",
        **overrides,
    }


async def assert_unavailable(answer: httpx.Response, started: float, limit: float) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == "unavailable"
    assert int(answer.headers["retry-after"]) >= 1
    assert time.monotonic() - started < limit + 1.5


async def calls_answer_503(web: Served) -> None:
    limit = web.services.settings.store_timeout
    for method, path, body, headers in [
        ("POST", "/api/auth/register", {"username": "ann", "password": "correct horse"}, {}),
        ("POST", "/api/auth/login", {"username": "ann", "password": "correct horse"}, {}),
        ("GET", "/api/me", None, {"Cookie": "tgpass_session=" + "x" * 43}),
    ]:
        started = time.monotonic()
        answer = await web.web.request(method, path, json=body, headers=headers)
        await assert_unavailable(answer, started, limit)


@pytest.mark.parametrize("kv", ["closed", "silent"])
async def test_a_kv_store_that_cannot_be_reached_is_a_503(
    tmp_path: Path, silent_server: str, kv: str
) -> None:
    address = CLOSED if kv == "closed" else silent_server
    settings = settings_with(_lite(tmp_path, kv_url=f"redis://{address}/0"))
    async with served_settings(settings) as web:
        site = await web.web.put(
            "/api/site/users/s1", json={"display_name": "S"}, headers=SITE_AUTH
        )
        assert site.status_code == 201  # the database alone still serves what needs no KV
        await calls_answer_503(web)
        assert await web.services.accounts.find_user(username="ann") is None  # nothing written
        started = time.monotonic()
        ready = await web.web.get("/readyz")
        await assert_unavailable(ready, started, settings.store_timeout)
        assert ready.json()["error"]["checks"] == {"database": "ok", "kv": "unavailable"}
        assert (await web.web.get("/healthz")).status_code == 200


@pytest.mark.parametrize("database", ["closed", "silent"])
async def test_a_database_that_cannot_be_reached_is_a_503(
    tmp_path: Path, silent_server: str, database: str
) -> None:
    address = CLOSED if database == "closed" else silent_server
    settings = settings_with(_lite(tmp_path, database_url=f"postgresql+asyncpg://u@{address}/db"))
    async with served_settings(settings, migrate=False) as web:
        assert (await web.web.get("/healthz")).json() == {"status": "ok"}
        started = time.monotonic()
        ready = await web.web.get("/readyz")
        await assert_unavailable(ready, started, settings.store_timeout)
        assert ready.json()["error"]["checks"] == {"database": "unavailable", "kv": "ok"}
        if database == "closed":  # (a silent database waits on the driver's own timeouts)
            for method, path, body in [
                ("POST", "/api/auth/register", {"username": "ann", "password": "correct horse"}),
                ("POST", "/api/auth/login", {"username": "ann", "password": "correct horse"}),
                ("PUT", "/api/site/users/s1", {"display_name": "S"}),
            ]:
                started = time.monotonic()
                answer = await web.web.request(method, path, json=body, headers=SITE_AUTH)
                await assert_unavailable(answer, started, settings.store_timeout)


async def test_ready_when_both_stores_answer(tmp_path: Path) -> None:
    async with served("sqlite+memory", tmp_path) as web:
        ready = await web.web.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"database": "ok", "kv": "ok"}}


class FailingSets(MemoryStore):
    """A KV store whose plain writes fail (what starting a session does), as a Redis that
    went away after the last read would; its other calls work."""

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        raise Unavailable("the KV store cannot be reached")

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if await self.get(key) is not None:
            return False
        await MemoryStore.set(self, key, value, ttl)
        return True


async def test_a_registration_is_not_half_written_when_its_session_cannot_start(
    tmp_path: Path,
) -> None:
    async with served("sqlite+memory", tmp_path) as web:
        settings = web.services.settings
        failing = SessionService(
            FailingSets(),
            web.services.accounts,
            secret_key=settings.secret_key,
            ttl=settings.session_ttl,
        )
        broken = replace(web.services, sessions=failing)
        transport = httpx.ASGITransport(app=create_app(broken))
        body = {"username": "ann", "password": "correct horse"}
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as client:
            started = time.monotonic()
            answer = await client.post("/api/auth/register", json=body)
            await assert_unavailable(answer, started, settings.store_timeout)
            form = await client.get("/register")
            page = await client.post(
                "/register",
                data={**body, "csrf_token": form.cookies["tgpass_csrf"]},
            )
            assert page.status_code == 503
        assert await web.services.accounts.find_user(username="ann") is None  # nothing written
        again = await web.web.post("/api/auth/register", json=body)  # a retry, store back
        assert again.status_code == 201, again.text
