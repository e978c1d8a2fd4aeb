"""login sources: the addresses each user has logged in from, which the account-wide limit on failed
logins spares (auth/throttle.py), so a distributed attack on one account cannot lock its user out

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "source_hash", name="uq_login_sources_user_source"),
    )
    op.create_index("ix_login_sources_user_id", "login_sources", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_login_sources_user_id", table_name="login_sources")
    op.drop_table("login_sources")
