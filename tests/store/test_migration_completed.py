"""Migration 0008 marks the broadcasts already done as completed (so a dead letter retried
later does not announce them again), and leaves those still sending, and single messages,
to be completed as their messages settle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.harness.site import postgres_schema
from tgpass.store.sql import make_engine, migrate

NOTIFICATION = (
    "INSERT INTO notifications (id, kind, recipients, payload, created_at)"
    " VALUES (:id, :kind, 1, '{}', 100.0)"
)
ROW = (
    "INSERT INTO outbox (notification_id, chat_id, payload, state, attempts, available_at,"
    " deadline, created_at, finished_at) VALUES (:id, 1, '{}', :state, 1, 0, 0, 100.0, :done)"
)


def _upgrade_to(connection: Connection, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from tgpass.store.sql.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


@asynccontextmanager
async def unmigrated(kind: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    async with postgres_schema() as (url, schema):
        engine = make_engine(url, schema=schema)
        try:
            yield engine
        finally:
            await engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_broadcasts_already_done_are_completed_when_they_finished(
    kind: str, tmp_path: Path
) -> None:
    async with unmigrated(kind, tmp_path) as engine:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0007")
            for notification_id, kind_of in [
                ("done", "broadcast"),
                ("sending", "broadcast"),
                ("empty", "broadcast"),
                ("single", "single"),
            ]:
                await connection.execute(
                    text(NOTIFICATION), {"id": notification_id, "kind": kind_of}
                )
            for notification_id, state, done in [
                ("done", "sent", 150.0),
                ("done", "failed", 170.0),
                ("sending", "sent", 150.0),
                ("sending", "sending", 0.0),
                ("single", "sent", 150.0),
            ]:
                await connection.execute(
                    text(ROW), {"id": notification_id, "state": state, "done": done}
                )
        await migrate(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, completed_at FROM notifications ORDER BY id")
            )
            completed = {row.id: row.completed_at for row in rows}
    assert completed == {"done": 170.0, "empty": 100.0, "sending": None, "single": None}
