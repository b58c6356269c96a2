"""Stores on every backend: SQLite in a temporary file, PostgreSQL in a schema of its own."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import postgres_or_skip
from tgpass.store.sql import SqlAccountStore, make_engine, migrate


async def sql_store(kind: str, tmp_path: Path) -> AsyncIterator[SqlAccountStore]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'tgpass.sqlite3'}")
        await migrate(engine)
        store = SqlAccountStore(engine)
        try:
            yield store
        finally:
            await store.close()
        return
    url = await postgres_or_skip()
    schema = f"tgpass_test_{secrets.token_hex(6)}"
    admin = make_engine(url)
    async with admin.begin() as db:
        await db.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url, schema=schema)
    try:
        await migrate(engine)
        store = SqlAccountStore(engine)
        yield store
        await store.close()
    finally:
        async with admin.begin() as db:
            await db.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def accounts(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SqlAccountStore]:
    async for store in sql_store(request.param, tmp_path):
        yield store
