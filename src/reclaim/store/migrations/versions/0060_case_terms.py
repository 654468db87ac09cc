"""case_terms: names, handles, schools and phone numbers that messages about a case's victim mention

Revision ID: 0060_case_terms
Revises: 0050_match_frame_time
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0060_case_terms"
down_revision = "0050_match_frame_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_terms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "kind", "value"),
    )
    op.create_index("ix_case_terms_case_id", "case_terms", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_terms_case_id", table_name="case_terms")
    op.drop_table("case_terms")
