"""The schema, as SQLAlchemy Core tables. Changes go through an Alembic migration too."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    false,
)

metadata = MetaData()

# BigInteger everywhere an id may come from Telegram: user ids exceed 2**32.
users = Table(
    "users",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("username", String(32), unique=True, nullable=True),
    Column("password_hash", String(255), nullable=True),
    Column("display_name", String(128), nullable=False),
    Column("site_user_id", String(128), unique=True, nullable=True),
    Column("role", String(32), nullable=False, server_default="member"),
    Column("karma", BigInteger, nullable=False, server_default="0"),
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

telegram_accounts = Table(
    "telegram_accounts",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "user_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("users.id", ondelete="CASCADE"),
        unique=True,
        nullable=False,
    ),
    Column("chat_id", BigInteger, nullable=True),
    Column("first_name", String(128), nullable=False),
    Column("last_name", String(128), nullable=True),
    Column("username", String(64), nullable=True),
    Column("photo_url", String(512), nullable=True),
    Column("language_code", String(16), nullable=True),
    Column("phone_number", String(32), nullable=True),
    Column("bot_blocked", Boolean, nullable=False, server_default=false()),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)
