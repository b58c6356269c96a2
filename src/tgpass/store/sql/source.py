"""Where SQL repositories get their connection: a fresh transaction per call on an engine,
or the one open transaction of a unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Execution option read by the SQLite engine's "begin" hook: take the write lock at BEGIN, so
# two writers queue on the busy timeout instead of failing when a reader upgrades.
WRITE = {"tgpass_write": True}
GIVE_BACK_WAIT = 5.0
"""The longest a closing source waits for the connections still out to come back."""


class ConnectionSource(Protocol):
    def read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    async def close(self) -> None: ...


class EngineSource:
    """Each read and each write in a transaction of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.engine.connect()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            await connection.execution_options(**WRITE)
            async with connection.begin():
                yield connection

    async def close(self) -> None:
        await _connections_back(self.engine, within=GIVE_BACK_WAIT)
        await self.engine.dispose()


class TransactionSource:
    """The unit of work's open transaction; each write in a savepoint, so that a conflict
    (a taken username) can be caught and the transaction carried on."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        yield self.connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self.connection.begin_nested():
            yield self.connection

    async def close(self) -> None:
        """The unit of work owns the connection."""


async def _connections_back(engine: AsyncEngine, *, within: float) -> None:
    """Until every connection out of the pool has come back, or ``within`` seconds. A task
    cancelled while giving one back goes on giving it back unseen (SQLAlchemy shields its
    rollback); a process ending meanwhile would cut the rollback off, and say so loudly."""
    checked_out = getattr(engine.pool, "checkedout", None)  # not every pool counts
    if checked_out is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while checked_out() and loop.time() < deadline:
        await asyncio.sleep(0.01)
