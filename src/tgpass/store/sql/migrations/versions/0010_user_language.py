"""Languages: the one a person chose for the site's pages, kept with their account so that
it follows them to every browser they sign in on (null: none chosen); and the one a join
request's sender uses in Telegram, so that an answer given later is in it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("language", sa.String(16), nullable=True))
    with op.batch_alter_table("gated_join_requests") as table:
        table.add_column(sa.Column("language_code", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gated_join_requests") as table:
        table.drop_column("language_code")
    with op.batch_alter_table("users") as table:
        table.drop_column("language")
