"""Consent sync: installs, hash-chained consent records, receipts, chain heads, deletion
requests.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_index("ix_installs_app_id", "installs", ["app_id"])
    op.create_table(
        "chain_heads",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "consent_records",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("install_id", sa.String(36), sa.ForeignKey("installs.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=True),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("age_confirmed", sa.Boolean(), nullable=True),
        sa.Column("guardian", sa.JSON(), nullable=True),
        sa.Column("client_time", sa.String(20), nullable=False),
        sa.Column("server_time", sa.String(20), nullable=False),
        sa.Column("manifest_seq", sa.Integer(), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("receipt_id", sa.Integer(), sa.ForeignKey("receipts.id"), nullable=False),
        sa.UniqueConstraint("app_id", "record_id", name="uq_consent_records_app_record"),
        sa.UniqueConstraint("app_id", "seq", name="uq_consent_records_app_seq"),
    )
    op.create_index("ix_consent_records_install_id", "consent_records", ["install_id"])
    op.create_table(
        "deletion_requests",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("install_id", sa.String(36), sa.ForeignKey("installs.id"), nullable=False),
        sa.Column("client_time", sa.String(20), nullable=False),
        sa.Column("server_time", sa.String(20), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolved_at", sa.String(20), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("app_id", "request_id", name="uq_deletion_requests_app_request"),
    )


def downgrade() -> None:
    for table in ("deletion_requests", "consent_records", "receipts", "chain_heads",
                  "installs"):
        op.drop_table(table)
