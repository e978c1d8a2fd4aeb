"""amendments: a referral amends another; quarantined records are resolved by one

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:30:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AMENDS_FK = "fk_referrals_amends_referral_id_referrals"
RESOLVED_FK = "fk_quarantined_records_resolved_by_referral_id_referrals"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Columns are added in place (no batch copy): on SQLite a copy of `referrals` would drop a table
    # that every referral part references, which its foreign keys refuse once rows exist. SQLite takes
    # the reference inline with the new column; PostgreSQL adds it as the named constraint.
    kept = any(c["name"] == "amends_referral_id" for c in sa.inspect(op.get_bind()).get_columns("referrals"))
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        if not kept:  # a SQLite downgrade keeps the column (see downgrade)
            batch_op.add_column(_reference("amends_referral_id", AMENDS_FK), inline_references=sqlite)
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line", sa.Integer(), nullable=True))
        batch_op.add_column(_reference("resolved_by_referral_id", RESOLVED_FK), inline_references=sqlite)
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    _split_locations()


def _reference(name: str, constraint: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("referrals.id", name=constraint), nullable=True)


def _split_locations() -> None:
    """Rows from before held the whole location in `ref`: it becomes the place in the file; `line` is set."""
    quarantined = sa.table(
        "quarantined_records",
        sa.column("id", sa.Integer()),
        sa.column("referral_id", sa.Integer()),
        sa.column("location", sa.String()),
        sa.column("ref", sa.String()),
        sa.column("line", sa.Integer()),
    )
    referrals = sa.table("referrals", sa.column("id", sa.Integer()), sa.column("file_name", sa.String()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(quarantined.c.id, quarantined.c.location, referrals.c.file_name).join(
            referrals, referrals.c.id == quarantined.c.referral_id
        )
    ).all()
    changes = []
    for row_id, location, file_name in rows:
        place = location[len(file_name) + 1 :] if location.startswith(f"{file_name}:") else location
        line = re.match(r"line (\d+)(?::|$)", place)
        changes.append({"row_id": row_id, "ref": place[:200], "line": int(line[1]) if line else None})
    if changes:
        bind.execute(
            sa.update(quarantined)
            .where(quarantined.c.id == sa.bindparam("row_id"))
            .values(ref=sa.bindparam("ref"), line=sa.bindparam("line")),
            changes,
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite drops a column with a reference only by copying the table (batch mode); quarantined_records
    # is referenced by nothing, so that copy is safe.
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        if not sqlite:
            batch_op.drop_constraint(RESOLVED_FK, type_="foreignkey")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolved_by_referral_id")
        batch_op.drop_column("line")
    if sqlite:
        # SQLite cannot drop a column that holds a reference, and copying `referrals` is refused (see
        # upgrade): the column stays, emptied, and the next upgrade finds it there.
        op.execute("UPDATE referrals SET amends_referral_id = NULL")
        return
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint(AMENDS_FK, type_="foreignkey")
        batch_op.drop_column("amends_referral_id")
