"""record kinds: a person record may be about an online account or a phone line, not only a named
person, so that an unnamed suspect (a chat-room account, an account in a tip-off) is a record

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite allows it with a constant default): no table rebuild, rows stay put.
    op.add_column(
        "person_records", sa.Column("kind", sa.String(length=12), nullable=False, server_default="person")
    )


def downgrade() -> None:
    with op.batch_alter_table("person_records") as batch:
        batch.drop_column("kind")
