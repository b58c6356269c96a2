"""Ids that leave the database are never handed out twice: on SQLite, the tables whose ids
key sessions, sign-in codes, OpenID subjects, outbox rows and audit entries get AUTOINCREMENT
(without it SQLite gives a deleted highest id to the next row). PostgreSQL's sequences never
reuse a value, so there is nothing to do there.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("users", "outbox", "gating_audit", "gating_requests")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # SQLite cannot add AUTOINCREMENT to a table: each is rebuilt with it (foreign keys are
    # off while migrations run, so rebuilding users cascades to nothing).
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
