"""login hardening: the second factor (TOTP) on users; the account-wide lockout goes (login failures
are now counted per source address in the server's memory, auth/throttle.py); login sessions of
users whose roles now need a second factor end, so they log in again with one

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# access/labels.py SECOND_FACTOR_ROLES when this revision was written.
_SECOND_FACTOR_ROLES = frozenset({"platform_admin", "agency_admin", "coordinator"})
USERS = sa.table("users", sa.column("id", sa.Integer()), sa.column("roles", sa.JSON()))
TOKENS = sa.table(
    "tokens",
    sa.column("user_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)
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
    _end_sessions_that_need_a_second_factor()


def _end_sessions_that_need_a_second_factor() -> None:
    connection = op.get_bind()
    needing = []
    for user_id, roles in connection.execute(sa.select(USERS.c.id, USERS.c.roles)).all():
        held: list[Any] = json.loads(roles) if isinstance(roles, str) else list(roles or [])
        if _SECOND_FACTOR_ROLES.intersection(held):
            needing.append(user_id)
    if not needing:
        return
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":  # stored without a zone, as UTC (db/base.py UTCDateTime)
        now = now.replace(tzinfo=None)
    connection.execute(
        sa.update(TOKENS)
        .where(TOKENS.c.user_id.in_(needing), TOKENS.c.kind == "session", TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def downgrade() -> None:
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    for name, _ in reversed(_TOTP_COLUMNS):
        op.drop_column("users", name)
