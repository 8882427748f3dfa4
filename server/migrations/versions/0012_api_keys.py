"""API keys of the operator's backend (issue 21): per app, each with a name, its scopes, a
public id shown for identification (``kls_live_<key_id>``) and the SHA-256 of the whole
key (the key itself is never stored), when it was last used, revoked or replaced.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("last_used_at", sa.String(20), nullable=True),
        sa.Column("revoked_at", sa.String(20), nullable=True),
        sa.Column("replaced_by", sa.String(16), nullable=True),
        sa.UniqueConstraint("key_id", name="uq_api_keys_key_id"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_app_id", "api_keys", ["app_id"])


def downgrade() -> None:
    op.drop_index("ix_api_keys_app_id", table_name="api_keys")
    op.drop_table("api_keys")
