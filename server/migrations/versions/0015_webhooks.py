"""Webhooks (issue 21 part 3): the operator's endpoints per app (the signing secret stored
encrypted), the transactional outbox of events, and the deliveries (event x endpoint) with
their attempts and the delivering worker's lease.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("endpoint_id", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret_box", sa.LargeBinary(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("paused_at", sa.String(20), nullable=True),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.UniqueConstraint("endpoint_id", name="uq_webhook_endpoints_endpoint_id"),
    )
    op.create_index("ix_webhook_endpoints_app_id", "webhook_endpoints", ["app_id"])
    op.create_table(
        "webhook_events",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("fanned", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("event_id", name="uq_webhook_events_event_id"),
    )
    op.create_index("ix_webhook_events_fanned_seq", "webhook_events", ["fanned", "seq"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_seq", sa.Integer(), sa.ForeignKey("webhook_events.seq"),
                  nullable=False),
        sa.Column("endpoint", sa.Integer(), sa.ForeignKey("webhook_endpoints.id"),
                  nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("delivered_at", sa.String(20), nullable=True),
        sa.UniqueConstraint("event_seq", "endpoint",
                            name="uq_webhook_deliveries_event_endpoint"),
    )
    op.create_index("ix_webhook_deliveries_status_due", "webhook_deliveries",
                    ["status", "next_attempt"])
    op.create_index("ix_webhook_deliveries_endpoint_id", "webhook_deliveries",
                    ["endpoint", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_endpoint_id", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_events_fanned_seq", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_webhook_endpoints_app_id", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
