"""When a broadcast was completed (its last message settled, and the site told so): set once,
by the one transaction that announces it. Broadcasts already done get the time their last
message was settled, so that a dead letter retried later does not announce them again.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.add_column(sa.Column("completed_at", sa.Float(), nullable=True))
    op.execute(
        """
        UPDATE notifications SET completed_at = COALESCE(
            (SELECT MAX(outbox.finished_at) FROM outbox
             WHERE outbox.notification_id = notifications.id),
            notifications.created_at)
        WHERE kind = 'broadcast' AND NOT EXISTS (
            SELECT 1 FROM outbox
            WHERE outbox.notification_id = notifications.id
              AND outbox.state IN ('queued', 'sending'))
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.drop_column("completed_at")
