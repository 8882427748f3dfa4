"""Witnessing of the consent logs (issue 19, the log side of tlog-witness): where each
witness stands with each app's log (the size it last cosigned, failures and backoff, the
last error or refusal) and the cosignature lines the witnesses returned.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tlog_witnessing",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "tlog_cosignatures",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("line", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tlog_cosignatures")
    op.drop_table("tlog_witnessing")
