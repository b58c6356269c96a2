"""The migrations build exactly the schema the code's tables describe, on every SQL backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from tgpass.store.sql.tables import metadata

from .conftest import sql_engine


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [diff for diff in compare_metadata(context, metadata) if diff[0] != "remove_table"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_the_migrations_match_the_tables(kind: str, tmp_path: Path) -> None:
    async for engine in sql_engine(kind, tmp_path):
        async with engine.connect() as connection:
            drift = await connection.run_sync(_drift)
        assert drift == []


def _upgrade_to(connection: Connection, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from tgpass.store.sql.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_upgrading_sqlite_keeps_what_refers_to_an_account(tmp_path: Path) -> None:
    # 0006 rebuilds users (SQLite's only way to add AUTOINCREMENT); with foreign keys on, the
    # rebuild would have deleted every link, code and subject of every account.
    from sqlalchemy import text

    from tgpass.store.sql import make_engine, migrate

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0005")
            now = "2026-01-01 00:00:00"
            for user_id in (1, 2):
                await connection.execute(
                    text(
                        "INSERT INTO users (id, display_name, created_at, updated_at)"
                        " VALUES (:id, 'u', :now, :now)"
                    ),
                    {"id": user_id, "now": now},
                )
            await connection.execute(
                text(
                    "INSERT INTO telegram_accounts (telegram_id, user_id, first_name, linked_at)"
                    " VALUES (77, 1, 'Zoya', :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                text("INSERT INTO oidc_subjects (user_id, subject) VALUES (1, 'sub-1')")
            )
        await migrate(engine)
        async with engine.begin() as connection:
            assert (await connection.execute(text("SELECT user_id FROM telegram_accounts"))).all()
            assert (await connection.execute(text("SELECT subject FROM oidc_subjects"))).all()
            await connection.execute(text("DELETE FROM users WHERE id = 2"))
            await connection.execute(
                text(
                    "INSERT INTO users (display_name, created_at, updated_at)"
                    " VALUES ('next', :now, :now)"
                ),
                {"now": "2026-01-02 00:00:00"},
            )
            ids = (await connection.execute(text("SELECT id FROM users ORDER BY id"))).all()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        assert [row[0] for row in ids] == [1, 3]  # 2 is never given again
        assert foreign_keys == 1  # and foreign keys are back on after migrating
    finally:
        await engine.dispose()
