"""Engines and migrations."""

from __future__ import annotations

import contextlib
import sqlite3
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = str(files("tgpass.store.sql") / "migrations")


def make_engine(url: str, *, schema: str | None = None, **options: Any) -> AsyncEngine:
    """An async engine. SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL may be
    pinned to a ``schema`` (how tests keep to themselves in a shared database)."""
    options.setdefault("hide_parameters", True)  # parameters (a password hash) never in errors
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
        options["connect_args"].setdefault("factory", _SqliteConnection)
        engine = create_async_engine(url, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, record: Any) -> None:
            # The driver's own implicit BEGIN breaks savepoints: SQLAlchemy emits BEGIN (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Connection) -> None:
            write = connection.get_execution_options().get("tgpass_write")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if schema is not None:
        options.setdefault("connect_args", {"server_settings": {"search_path": schema}})
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **options)


class _SqliteConnection(sqlite3.Connection):
    """SQLite's connection, whose close never leaves a transaction behind.

    A task cancelled in the middle of a statement (a worker stopping, a timeout) gets its
    connection closed by SQLAlchemy while the statement is still open. SQLite then keeps the
    connection half-closed, its transaction and write lock included, until the garbage
    collector frees the statement, and every other writer waits for the busy timeout and
    fails. Rolling back first ends the transaction whatever the statement's fate."""

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # (closed already: nothing to roll back)
            if self.in_transaction:
                self.rollback()
        super().close()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _foreign_keys(connection: Connection, on: bool) -> None:
    # Straight on the driver's connection: SQLite ignores this PRAGMA inside a transaction.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _dangling(connection: Connection) -> list[Any]:
    return list(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (safe to run from several processes)."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A migration may rebuild a table others refer to (SQLite's only way to change
            # one); with foreign keys on, dropping the old one would delete what refers to it.
            await connection.run_sync(_foreign_keys, False)
        try:
            async with connection.begin():
                if not sqlite:
                    # One migrator at a time: the others wait, then find nothing left to do.
                    await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727384001)")
                await connection.run_sync(_upgrade)
                if sqlite and (dangling := await connection.run_sync(_dangling)):
                    raise RuntimeError(f"a migration left rows referring to nothing: {dangling}")
        finally:
            if sqlite:
                await connection.run_sync(_foreign_keys, True)
