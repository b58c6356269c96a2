"""What a store that cannot be reached raises, by driver, told apart from a bug: refused and
reset connections, timeouts, names that do not resolve, SQLAlchemy's own for lost or unusable
connections, Redis's, and tgpass's ``Unavailable``. An outage is expected (say it once, wait,
go on); anything else is a bug (its traceback is wanted)."""

from __future__ import annotations

import socket

import sqlalchemy.exc as sql
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tgpass.errors import Unavailable

_DATABASE: tuple[type[BaseException], ...] = (
    sql.OperationalError,
    sql.InterfaceError,
    sql.TimeoutError,
)
_REDIS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
_NETWORK: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, socket.gaierror)


def outage_of(error: BaseException) -> str | None:
    """What could not be reached ("the database", "Redis", ...) when ``error`` says a store
    is out of reach; None when it says something else (a bug, bad input)."""
    if isinstance(error, BaseExceptionGroup):
        found = [outage_of(e) for e in error.exceptions]
        return found[0] if found and all(found) else None
    if isinstance(error, Unavailable):  # raised by an adapter over the driver's own error
        cause = error.__cause__ or error.__context__
        return (outage_of(cause) if cause is not None else None) or "a backing store"
    if isinstance(error, _REDIS):
        return "Redis"
    if isinstance(error, _DATABASE) or (
        isinstance(error, sql.DBAPIError) and error.connection_invalidated
    ):
        return "the database"
    if isinstance(error, _NETWORK):
        return "a backing store"
    return None
