"""Subjects (issue 21 part 2): an install linked to the operator's signed-in user.

``subjects``: per app, the keyed hash of the operator's user id (HMAC-SHA256 with the
deployment's subject key, never the id itself). ``install_links``: which install is or was
linked to which subject, from which record of the consent log to which. ``link_tokens``:
single-use, short-lived tokens the operator's backend asks for, stored as SHA-256 only.
``api_keys.form_nonce``: the console form that created a key, so that a re-sent form does
not make a second key (a leftover of part 1).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("form_nonce", sa.String(43), nullable=True))
    op.create_index("uq_api_keys_app_form_nonce", "api_keys", ["app_id", "form_nonce"],
                    unique=True)
    op.create_table(
        "subjects",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "install_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("install_id", sa.String(36), sa.ForeignKey("installs.id"), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("linked_at", sa.String(20), nullable=False),
        sa.Column("link_record_id", sa.String(36), nullable=False),
        sa.Column("link_seq", sa.Integer(), nullable=False),
        sa.Column("unlinked_at", sa.String(20), nullable=True),
        sa.Column("unlink_record_id", sa.String(36), nullable=True),
        sa.Column("unlink_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["app_id", "subject_id"],
                                ["subjects.app_id", "subjects.subject_id"],
                                name="fk_install_links_subject"),
    )
    op.create_index("ix_install_links_subject", "install_links", ["app_id", "subject_id"])
    op.create_index("ix_install_links_install_id", "install_links", ["install_id"])
    op.create_table(
        "link_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("expires_at", sa.String(20), nullable=False),
        sa.Column("used_at", sa.String(20), nullable=True),
        sa.Column("used_by_install", sa.String(36), nullable=True),
        sa.Column("used_by_record", sa.String(36), nullable=True),
    )
    op.create_index("ix_link_tokens_expires_at", "link_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_link_tokens_expires_at", table_name="link_tokens")
    op.drop_table("link_tokens")
    op.drop_index("ix_install_links_install_id", table_name="install_links")
    op.drop_index("ix_install_links_subject", table_name="install_links")
    op.drop_table("install_links")
    op.drop_table("subjects")
    op.drop_index("uq_api_keys_app_form_nonce", table_name="api_keys")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("form_nonce")
