"""intake: referrals, person records, sightings, media hashes, quarantine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:15:59.207256
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_raw_files")),
    )
    op.create_table(
        "raw_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["raw_files.sha256"], name=op.f("fk_raw_chunks_sha256_raw_files")
        ),
        sa.PrimaryKeyConstraint("sha256", "seq", name=op.f("pk_raw_chunks")),
    )
    op.create_table(
        "referrals",
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(length=100), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_referrals_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_referrals_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_referrals_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(["sha256"], ["raw_files.sha256"], name=op.f("fk_referrals_sha256_raw_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("operation_id", "sha256", name=op.f("uq_referrals_operation_id")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_owner_agency_id"), ["owner_agency_id"], unique=False)

    op.create_table(
        "person_records",
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=400), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_person_records_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_person_records_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_person_records_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_person_records_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_records")),
    )
    with op.batch_alter_table("person_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_records_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_records_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_person_records_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_person_records_referral_ref", ["referral_id", "ref"], unique=False)

    op.create_table(
        "quarantined_records",
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=400), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_quarantined_records_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_quarantined_records_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_quarantined_records_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_quarantined_records_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_records")),
    )
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantined_records_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quarantined_records_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quarantined_records_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "referral_media_hashes",
        sa.Column("person_ref", sa.String(length=200), nullable=True),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=True),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=400), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_referral_media_hashes_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_referral_media_hashes_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_referral_media_hashes_owner_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_media_hashes_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_media_hashes")),
    )
    with op.batch_alter_table("referral_media_hashes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_media_hashes_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_media_hashes_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_media_hashes_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index("ix_referral_media_hashes_value", ["algorithm", "value"], unique=False)

    op.create_table(
        "sightings",
        sa.Column("person_ref", sa.String(length=200), nullable=True),
        sa.Column("person_record_id", sa.Integer(), nullable=True),
        sa.Column("selector_type", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("raw_value", sa.String(length=400), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("platform", sa.String(length=100), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("observed_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("context", sa.String(length=60), nullable=True),
        sa.Column("possible_proxy", sa.Boolean(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=400), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_sightings_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_sightings_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_sightings_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["person_record_id"],
            ["person_records.id"],
            name=op.f("fk_sightings_person_record_id_person_records"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_sightings_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sightings")),
    )
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sightings_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sightings_owner_agency_id"), ["owner_agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sightings_person_record_id"), ["person_record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sightings_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_sightings_selector", ["selector_type", "value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_index("ix_sightings_selector")
        batch_op.drop_index(batch_op.f("ix_sightings_referral_id"))
        batch_op.drop_index(batch_op.f("ix_sightings_person_record_id"))
        batch_op.drop_index(batch_op.f("ix_sightings_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_sightings_operation_id"))

    op.drop_table("sightings")
    with op.batch_alter_table("referral_media_hashes", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_media_hashes_value")
        batch_op.drop_index(batch_op.f("ix_referral_media_hashes_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_media_hashes_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_referral_media_hashes_operation_id"))

    op.drop_table("referral_media_hashes")
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantined_records_referral_id"))
        batch_op.drop_index(batch_op.f("ix_quarantined_records_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_quarantined_records_operation_id"))

    op.drop_table("quarantined_records")
    with op.batch_alter_table("person_records", schema=None) as batch_op:
        batch_op.drop_index("ix_person_records_referral_ref")
        batch_op.drop_index(batch_op.f("ix_person_records_referral_id"))
        batch_op.drop_index(batch_op.f("ix_person_records_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_person_records_operation_id"))

    op.drop_table("person_records")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_operation_id"))

    op.drop_table("referrals")
    op.drop_table("raw_chunks")
    op.drop_table("raw_files")
