"""A task cancelled in the middle of a statement (a worker stopping, a timeout running out)
leaves no lock behind: the next writer goes at once, even while the cancelled task's error,
and with it the open statement, is still held (as a finished task holds its exception)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from tgpass.store.sql.engine import make_engine
from tgpass.store.sql.source import EngineSource

# A read that takes about a second: long enough to be cancelled in the middle.
SLOW_READ = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 4000000) "
    "SELECT count(*) FROM n"
)
SHORTER_READ = SLOW_READ.replace("4000000", "1000000")  # well within the wait, loaded or not


@pytest.mark.parametrize("pause", [0.05, 0.3])
async def test_a_write_cut_off_mid_statement_leaves_the_database_writable(
    tmp_path: Path, pause: float
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(database, connect_args={"timeout": 5})
    source = EngineSource(engine)
    async with source.write() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))

    async def cut_off() -> None:
        async with source.write() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            await connection.execute(text(SLOW_READ))

    task = asyncio.create_task(cut_off())
    await asyncio.sleep(pause)
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
    held = task  # its error, and the statement in its frames, kept alive

    # (a lock left behind: "database is locked" once the busy timeout has run out)
    async with source.write() as connection:
        await connection.execute(text("INSERT INTO t VALUES (2)"))
    async with source.read() as connection:
        rows = (await connection.execute(text("SELECT x FROM t"))).scalars().all()
    assert rows == [2]  # the cut-off write was rolled back, not half kept
    del held
    await source.close()


async def test_closing_waits_for_a_connection_still_being_given_back(tmp_path: Path) -> None:
    # As a task cancelled on its way out of a transaction leaves it: SQLAlchemy goes on
    # giving the connection back in a task of its own, which no one awaits.
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    source = EngineSource(engine)

    async def giving_back() -> None:
        async with source.write() as connection:
            await connection.execute(text(SHORTER_READ))

    unseen = asyncio.create_task(giving_back())
    await asyncio.sleep(0.05)  # the connection is out
    await source.close()
    assert unseen.done() and unseen.exception() is None  # not cut off by the process's end
