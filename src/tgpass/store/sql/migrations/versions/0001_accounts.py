"""Accounts and their Telegram links.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(32), unique=True, nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("site_user_id", sa.String(128), unique=True, nullable=True),
        sa.Column("role", sa.String(32), nullable=False, server_default="member"),
        sa.Column("karma", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "telegram_accounts",
        sa.Column("telegram_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column(
            "user_id",
            _id(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            unique=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("first_name", sa.String(128), nullable=False),
        sa.Column("last_name", sa.String(128), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("photo_url", sa.String(512), nullable=True),
        sa.Column("language_code", sa.String(16), nullable=True),
        sa.Column("phone_number", sa.String(32), nullable=True),
        sa.Column("bot_blocked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("telegram_accounts")
    op.drop_table("users")
