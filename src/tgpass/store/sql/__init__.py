"""Accounts, the outbox and the rest in SQL: SQLite by default, PostgreSQL to scale out."""

from .engine import make_engine, migrate
from .store import SqlAccountStore
from .uow import SqlUnitOfWork

__all__ = ["SqlAccountStore", "SqlUnitOfWork", "make_engine", "migrate"]
