"""Install token generations (renewal revokes the previous token) and the indexes that
let an install's history be read a page at a time.

Revision ID: 0004
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0006"  # 0002 in the brief; chained after 0006, already on main
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tokens issued before this migration carry no generation and count as generation 1.
    with op.batch_alter_table("installs") as batch:
        batch.add_column(sa.Column("token_generation", sa.Integer(), nullable=False,
                                   server_default="1"))
    op.create_index("ix_consent_records_install_seq", "consent_records",
                    ["install_id", "seq"])
    op.create_index("ix_deletion_requests_install_row", "deletion_requests",
                    ["install_id", "row_id"])


def downgrade() -> None:
    op.drop_index("ix_deletion_requests_install_row", "deletion_requests")
    op.drop_index("ix_consent_records_install_seq", "consent_records")
    with op.batch_alter_table("installs") as batch:
        batch.drop_column("token_generation")
