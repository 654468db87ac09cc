"""self-reports: hashes a person sent from their own device, under a case number and an Argon2id PIN

Revision ID: 0120_self_reports
Revises: 0110_identity_accounts
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0120_self_reports"
down_revision = "0110_identity_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "self_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("content_prefix", sa.String(length=40), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lookup_matches", sa.Integer(), nullable=False),
        sa.Column("last_matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("attached_by", sa.String(length=200), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_self_reports_case_id_cases"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_reports")),
        sa.UniqueConstraint("number", name=op.f("uq_self_reports_number")),
        sa.UniqueConstraint("content_prefix", name=op.f("uq_self_reports_content_prefix")),
    )
    op.create_index(op.f("ix_self_reports_case_id"), "self_reports", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_self_reports_case_id"), table_name="self_reports")
    op.drop_table("self_reports")
