"""Operator console: users, failed sign-ins, drafts, app settings, dashboard roll-ups.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
# The contract says 0002; chained after 0004 (0006 -> 0004 on main already): one head.
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("session_generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("last_login_at", sa.String(20), nullable=True),
    )
    op.create_table(
        "admin_login_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
    )
    op.create_index("ix_admin_login_failures_email_at", "admin_login_failures",
                    ["email", "at"])
    op.create_index("ix_admin_login_failures_ip_at", "admin_login_failures", ["ip", "at"])
    op.create_table(
        "admin_drafts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("base_number", sa.Integer(), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("app_meta", sa.JSON(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.String(20), nullable=False),
        sa.Column("published_number", sa.Integer(), nullable=True),
        sa.Column("published_by", sa.String(254), nullable=True),
        sa.Column("published_at", sa.String(20), nullable=True),
    )
    op.create_index("ix_admin_drafts_app_id", "admin_drafts", ["app_id"])
    op.create_table(
        "admin_app_settings",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("request_deadline_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "admin_rollup_heads",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_table(
        "admin_rollup_counts",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("locale", sa.String(16), primary_key=True),
        sa.Column("action", sa.String(16), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "admin_rollup_purposes",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("locale", sa.String(16), primary_key=True),
        sa.Column("purpose", sa.String(64), primary_key=True),
        sa.Column("granted", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_rollup_purposes")
    op.drop_table("admin_rollup_counts")
    op.drop_table("admin_rollup_heads")
    op.drop_table("admin_app_settings")
    op.drop_index("ix_admin_drafts_app_id", table_name="admin_drafts")
    op.drop_table("admin_drafts")
    op.drop_index("ix_admin_login_failures_ip_at", table_name="admin_login_failures")
    op.drop_index("ix_admin_login_failures_email_at", table_name="admin_login_failures")
    op.drop_table("admin_login_failures")
    op.drop_table("admin_users")
