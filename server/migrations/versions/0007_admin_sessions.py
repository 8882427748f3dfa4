"""Console sessions kept on the server; sign-in attempts taken before the password check.

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("admin_users.id"), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("last_seen_at", sa.String(20), nullable=False),
        sa.Column("expires_at", sa.String(20), nullable=False),
        sa.Column("revoked_at", sa.String(20), nullable=True),
        sa.Column("ip", sa.String(64), nullable=False),
    )
    op.create_index("ix_admin_sessions_user_id", "admin_sessions", ["user_id"])
    # Rows before this migration were all failures.
    with op.batch_alter_table("admin_login_failures") as batch:
        batch.add_column(sa.Column("outcome", sa.String(8), nullable=False,
                                   server_default="failed"))


def downgrade() -> None:
    with op.batch_alter_table("admin_login_failures") as batch:
        batch.drop_column("outcome")
    op.drop_index("ix_admin_sessions_user_id", table_name="admin_sessions")
    op.drop_table("admin_sessions")
