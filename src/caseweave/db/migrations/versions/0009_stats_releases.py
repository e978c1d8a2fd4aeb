"""stats releases: which countries agreed to publish an operation's figures, who agreed or withdrew, when

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_release_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("agreed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by_user_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_stats_release_consents_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["agreed_by_user_id"],
            ["users.id"],
            name=op.f("fk_stats_release_consents_agreed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_stats_release_consents_operation_id_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_user_id"],
            ["users.id"],
            name=op.f("fk_stats_release_consents_withdrawn_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_release_consents")),
    )
    with op.batch_alter_table("stats_release_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stats_release_consents_operation_country", ["operation_id", "country"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stats_release_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_release_consents_operation_country")

    op.drop_table("stats_release_consents")
