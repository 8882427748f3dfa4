"""The dashboard's purpose roll-ups per action, granted and refused: the opt-in rate is per
version over accept records, and updates are counted apart (issue 18.2). The old rows
counted accepts and updates together and cannot be split, so every roll-up is emptied and
its head reset: the next dashboard view counts all records again.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _purposes(*, per_action: bool) -> None:
    cols: list[sa.Column[Any]] = [
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("locale", sa.String(16), primary_key=True),
        sa.Column("purpose", sa.String(64), primary_key=True),
    ]
    if per_action:
        cols.append(sa.Column("action", sa.String(16), primary_key=True))
    cols.append(sa.Column("granted", sa.Integer(), nullable=False))
    if per_action:
        cols.append(sa.Column("refused", sa.Integer(), nullable=False))
    op.create_table("admin_rollup_purposes", *cols)


def _reset() -> None:
    op.drop_table("admin_rollup_purposes")
    op.execute("DELETE FROM admin_rollup_counts")
    op.execute("DELETE FROM admin_rollup_heads")


def upgrade() -> None:
    _reset()
    _purposes(per_action=True)


def downgrade() -> None:
    _reset()
    _purposes(per_action=False)
