"""login hardening: the second factor (TOTP) on users; the account-wide lockout goes (login failures
are now counted per source address in the server's memory, auth/throttle.py)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TOTP_COLUMNS = (
    ("totp_secret", sa.String(length=64)),
    ("totp_enrolled_at", sa.DateTime(timezone=True)),
    ("totp_last_step", sa.Integer()),
    ("totp_pending_secret", sa.String(length=64)),
    ("totp_pending_until", sa.DateTime(timezone=True)),
)


# Plain ALTER TABLE on both engines (SQLite 3.35+ drops columns): a batch rebuild of `users` would
# drop the table that tokens, notes and memberships point at, which foreign keys refuse once rows exist.
def upgrade() -> None:
    for name, type_ in _TOTP_COLUMNS:
        op.add_column("users", sa.Column(name, type_, nullable=True))
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")


def downgrade() -> None:
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    for name, _ in reversed(_TOTP_COLUMNS):
        op.drop_column("users", name)
