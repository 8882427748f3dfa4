"""Console sign-in, red team round 2: a user's previous password hashes (a change may not
put one back, the one-time password above all), and the device cookie's id on each sign-in
attempt (a device's failures are counted and end its trust).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_password_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("admin_users.id"), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("retired_at", sa.String(20), nullable=False),
    )
    op.create_index("ix_admin_password_history_user_id", "admin_password_history",
                    ["user_id"])
    with op.batch_alter_table("admin_login_failures") as batch:
        batch.add_column(sa.Column("device", sa.String(32), nullable=True))
    op.create_index("ix_admin_login_failures_device", "admin_login_failures", ["device"])


def downgrade() -> None:
    op.drop_index("ix_admin_login_failures_device", table_name="admin_login_failures")
    with op.batch_alter_table("admin_login_failures") as batch:
        batch.drop_column("device")
    op.drop_index("ix_admin_password_history_user_id", table_name="admin_password_history")
    op.drop_table("admin_password_history")
