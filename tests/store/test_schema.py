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
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [diff for diff in compare_metadata(context, metadata) if diff[0] != "remove_table"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_the_migrations_match_the_tables(kind: str, tmp_path: Path) -> None:
    async for engine in sql_engine(kind, tmp_path):
        async with engine.connect() as connection:
            drift = await connection.run_sync(_drift)
        assert drift == []
