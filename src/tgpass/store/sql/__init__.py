"""Accounts and Telegram links in SQL: SQLite by default, PostgreSQL to scale out."""

from .engine import make_engine, migrate
from .store import SqlAccountStore

__all__ = ["SqlAccountStore", "make_engine", "migrate"]
