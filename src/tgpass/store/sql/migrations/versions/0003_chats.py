"""Gated chats: the chats, their rules, members, personal invite links and an audit trail.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _chat_id() -> sa.Column[int]:
    return sa.Column(
        "chat_id",
        sa.BigInteger(),
        sa.ForeignKey("gated_chats.chat_id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "gated_chats",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("bot_rights", sa.Text(), nullable=False),
        sa.Column("paused_reason", sa.String(255), nullable=True),
        sa.Column("managed", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "gated_chat_rules",
        _chat_id(),
        sa.Column("min_karma", sa.BigInteger(), nullable=True),
        sa.Column("roles", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_table(
        "gated_members",
        _chat_id(),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "telegram_id"),
    )
    op.create_table(
        "gated_invites",
        _chat_id(),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("link_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False, index=True),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", "name"),
    )
    op.create_index("gated_invites_live", "gated_invites", ["chat_id", "state"])
    op.create_table(
        "gating_audit",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True, index=True),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "gating_audit",
        "gated_invites",
        "gated_members",
        "gated_chat_rules",
        "gated_chats",
    ):
        op.drop_table(table)
