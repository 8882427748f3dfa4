"""Admin audit log (append-only, enforced by triggers) and the app metadata stored with
each policy version.

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None

_REFUSE = "admin_events is append-only"


def upgrade() -> None:
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_admin_events_at", "admin_events", ["at"])
    with op.batch_alter_table("policy_versions") as batch:
        batch.add_column(sa.Column("app_meta", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER admin_events_no_{verb.lower()} BEFORE {verb} ON "
                       f"admin_events BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")
    else:
        op.execute(f"CREATE FUNCTION admin_events_refuse() RETURNS trigger LANGUAGE plpgsql "
                   f"AS $$ BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$")
        op.execute("CREATE TRIGGER admin_events_no_change BEFORE UPDATE OR DELETE ON "
                   "admin_events FOR EACH ROW EXECUTE FUNCTION admin_events_refuse()")
        op.execute("CREATE TRIGGER admin_events_no_truncate BEFORE TRUNCATE ON admin_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION admin_events_refuse()")


def downgrade() -> None:
    with op.batch_alter_table("policy_versions") as batch:
        batch.drop_column("app_meta")
    op.drop_index("ix_admin_events_at", "admin_events")
    op.drop_table("admin_events")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION admin_events_refuse()")
