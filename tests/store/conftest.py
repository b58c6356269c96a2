"""Stores on every backend: SQLite in a temporary file, PostgreSQL in a schema of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.harness.site import postgres_schema
from tgpass.service.accounts.cached import CachedAccountStore
from tgpass.service.ports import AccountStore
from tgpass.service.uow import UnitOfWorkFactory
from tgpass.store.memory import MemoryDatabase, MemoryUnitOfWork
from tgpass.store.memory.accounts import MemoryAccountStore
from tgpass.store.sql import SqlAccountStore, SqlUnitOfWork, make_engine, migrate

# Single stores, not the service's backend pairs (tests.harness.site.BACKENDS).
BACKENDS = ["memory", "sqlite", "postgres"]


async def sql_engine(kind: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated engine: SQLite in a temporary file, PostgreSQL in a schema of its own."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'tgpass.sqlite3'}")
        await migrate(engine)
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    async with postgres_schema() as (url, schema):
        engine = make_engine(url, schema=schema)
        try:
            await migrate(engine)
            yield engine
        finally:
            await engine.dispose()


async def sql_store(kind: str, tmp_path: Path) -> AsyncIterator[SqlAccountStore]:
    async for engine in sql_engine(kind, tmp_path):
        yield SqlAccountStore(engine)


@pytest.fixture(params=[*BACKENDS, "cached-sqlite"])
async def accounts(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AccountStore]:
    if request.param == "memory":
        yield MemoryAccountStore()
        return
    cached = request.param.startswith("cached-")
    async for store in sql_store(request.param.removeprefix("cached-"), tmp_path):
        # The read cache must keep every rule of the store it wraps.
        yield CachedAccountStore(store, ttl=60) if cached else store


@pytest.fixture(params=BACKENDS)
async def uow(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    """A unit-of-work factory on each backend."""
    if request.param == "memory":
        db = MemoryDatabase()
        yield lambda: MemoryUnitOfWork(db)
        return
    async for engine in sql_engine(request.param, tmp_path):
        yield lambda bound=engine: SqlUnitOfWork(bound)
