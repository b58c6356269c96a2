"""Service settings on each backend pair: SQLite + memory, PostgreSQL + Redis (a schema and a
key prefix of their own, so runs never meet)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.conftest import postgres_or_skip, redis_or_skip
from tgpass.store.sql import make_engine

BACKENDS = ["sqlite+memory", "postgres+redis"]


@asynccontextmanager
async def backend_settings(kind: str, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    if kind == "sqlite+memory":
        yield {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'tgpass.sqlite3'}",
            "kv_url": "memory://",
        }
        return
    database, redis = await postgres_or_skip(), await redis_or_skip()
    schema = f"tgpass_test_{secrets.token_hex(6)}"
    admin = make_engine(database)
    async with admin.begin() as db:
        await db.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield {
            "database_url": database,
            "database_schema": schema,
            "kv_url": redis,
            "kv_prefix": f"tgpass-test:{schema}:",
        }
    finally:
        async with admin.begin() as db:
            await db.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()
