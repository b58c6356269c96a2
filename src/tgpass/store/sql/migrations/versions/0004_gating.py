"""Gating at work: invite links kept so they can be revoked, who a member was admitted for,
members the bot banned and still owes an unban, join requests waiting for an answer, and the
change events the reconciler has yet to act on.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gated_invites") as invites:
        invites.add_column(sa.Column("invite_link", sa.String(255), nullable=True))
    with op.batch_alter_table("gated_members") as members:
        members.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
        members.add_column(
            sa.Column("owed_unban", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "gated_join_requests",
        sa.Column(
            "chat_id",
            sa.BigInteger(),
            sa.ForeignKey("gated_chats.chat_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("user_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("query_id", sa.String(64), nullable=True),
        sa.Column("invite_link", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "telegram_id"),
    )
    op.create_index("gated_join_requests_due", "gated_join_requests", ["next_at"])
    op.create_table(
        "gating_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gating_requests")
    op.drop_table("gated_join_requests")
    with op.batch_alter_table("gated_members") as members:
        members.drop_column("owed_unban")
        members.drop_column("user_id")
    with op.batch_alter_table("gated_invites") as invites:
        invites.drop_column("invite_link")
