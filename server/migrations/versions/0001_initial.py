"""Initial schema: roots, apps, policy versions, documents, signed manifests.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "root_versions",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("expires", sa.String(20), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "apps",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("default_locale", sa.String(16), nullable=False),
        sa.Column("controller", sa.JSON(), nullable=False),
        sa.Column("catalog", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("significance", sa.String(8), nullable=False),
        sa.Column("effective", sa.String(20), nullable=False),
        sa.Column("published", sa.String(20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("app_id", "number", name="uq_policy_versions_app_number"),
        sa.UniqueConstraint("app_id", "label", name="uq_policy_versions_app_label"),
    )
    op.create_index("ix_policy_versions_app_id", "policy_versions", ["app_id"])
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "signed_manifests",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(80), nullable=False),
        sa.Column("issued", sa.String(20), nullable=False),
        sa.Column("expires", sa.String(20), nullable=False),
        sa.Column("refresh_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO generation (id, value) VALUES (1, 0)")


def downgrade() -> None:
    for table in ("generation", "signed_manifests", "documents", "policy_versions", "apps",
                  "root_versions"):
        op.drop_table(table)
