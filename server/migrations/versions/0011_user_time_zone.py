"""Console users' time zone: the console shows times in it (empty: the zone of the app's
controller country).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    # Not a batch (on SQLite a batch copies the table, and dropping the old copy breaks the
    # foreign keys of the sessions and password history that point at admin_users):
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place.
    op.execute("ALTER TABLE admin_users DROP COLUMN time_zone")
