"""An index of deliveries by event: pruning old events asks, for each, whether a delivery of
it is still pending, and deleting an event deletes its deliveries.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("webhook_deliveries_event", "webhook_deliveries", ["event_id", "state"])


def downgrade() -> None:
    op.drop_index("webhook_deliveries_event", table_name="webhook_deliveries")
