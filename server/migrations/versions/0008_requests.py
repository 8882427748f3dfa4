"""Requests of the data subject beyond deletion (Law 94-V Art. 24): each request row says
its kind (access, rectification, blocking, deletion), the user's note, for a deletion
whether the user withdrew consent in the same step, and the deadline fixed when it was
received (and signed in its receipt). ``status`` gains ``refused``.

Rows from before get kind ``deletion`` and the deadline the console showed for them:
received + the app's console setting (``admin_app_settings``), else 30 days.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _stamp(text: str, days: int) -> str:
    when = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (when + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def upgrade() -> None:
    with op.batch_alter_table("deletion_requests") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False,
                                   server_default="deletion"))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("withdraw", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("deadline", sa.String(20), nullable=True))
    conn = op.get_bind()
    days: dict[str, int] = dict(conn.execute(sa.text(
        "SELECT app_id, request_deadline_days FROM admin_app_settings")).all())
    rows = conn.execute(sa.text("SELECT row_id, app_id, server_time FROM deletion_requests"))
    for row_id, app_id, server_time in rows.all():
        conn.execute(sa.text("UPDATE deletion_requests SET deadline = :d WHERE row_id = :r"),
                     {"d": _stamp(server_time, int(days.get(app_id, 30))), "r": row_id})
    with op.batch_alter_table("deletion_requests") as batch:
        batch.alter_column("deadline", existing_type=sa.String(20), nullable=False)
    op.create_index("ix_deletion_requests_status_deadline", "deletion_requests",
                    ["status", "deadline"])


def downgrade() -> None:
    op.drop_index("ix_deletion_requests_status_deadline", "deletion_requests")
    with op.batch_alter_table("deletion_requests") as batch:
        batch.drop_column("deadline")
        batch.drop_column("withdraw")
        batch.drop_column("note")
        batch.drop_column("kind")
