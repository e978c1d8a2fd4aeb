"""scoped administration: 'admin' becomes platform_admin; a membership is an invitation until the
invited agency accepts it; operation names are unique per lead agency; the same file
uploaded by two agencies is two referrals; duplicates are judged among what the caller may see

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

USERS = sa.table("users", sa.column("id", sa.Integer()), sa.column("roles", sa.JSON()))


def _rename_role(old: str, new: str) -> None:
    connection = op.get_bind()
    for user_id, roles in connection.execute(sa.select(USERS.c.id, USERS.c.roles)).all():
        held: list[Any] = json.loads(roles) if isinstance(roles, str) else list(roles or [])
        if old in held:
            renamed = sorted({new if role == old else role for role in held})
            connection.execute(sa.update(USERS).where(USERS.c.id == user_id).values(roles=renamed))


def upgrade() -> None:
    # Existing admins were installation-wide: they keep that reach under its new name.
    _rename_role("admin", "platform_admin")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("invited_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answered_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_memberships_invited_by_user_id_users"), "users", ["invited_by_user_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_memberships_answered_by_user_id_users"), "users", ["answered_by_user_id"], ["id"]
        )

    # An operation's name is unique within its lead agency: a global check would tell any coordinator
    # the names of operations they may not see.
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_operations_name", type_="unique")
        batch_op.create_unique_constraint("uq_operations_lead_agency_id", ["lead_agency_id", "name"])
    # A duplicate upload is recognised only within the uploading agency, among what the uploader may see.
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint("uq_referrals_operation_id", type_="unique")
        batch_op.create_index("ix_referrals_operation_sha256", ["operation_id", "sha256"], unique=False)
    # An outcome is "already recorded" only among the events its reporter may see.
    with op.batch_alter_table("outcome_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outcome_events_operation_id", type_="unique")
        batch_op.create_index("ix_outcome_events_dedupe", ["operation_id", "dedupe_key"], unique=False)
    # Seeing a released record is not the right to change it: the owner grants that per agency.
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("may_write", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_column("may_write")
    with op.batch_alter_table("outcome_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outcome_events_dedupe")
        batch_op.create_unique_constraint("uq_outcome_events_operation_id", ["operation_id", "dedupe_key"])
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_operation_sha256")
        batch_op.create_unique_constraint("uq_referrals_operation_id", ["operation_id", "sha256"])
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_operations_lead_agency_id", type_="unique")
        batch_op.create_unique_constraint("uq_operations_name", ["name"])
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_memberships_answered_by_user_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_memberships_invited_by_user_id_users"), type_="foreignkey")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("answered_by_user_id")
        batch_op.drop_column("invited_by_user_id")
        batch_op.drop_column("status")
    _rename_role("platform_admin", "admin")
